// The two poptries vgw uses, instantiated once here to keep builds light.
#include "fib/poptrie.h"

namespace vgw::fib {

template class Poptrie<uint32_t>;
template class Poptrie<Uint128>;

}  // namespace vgw::fib
