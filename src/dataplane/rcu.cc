#include "dataplane/rcu.h"

#include <urcu-qsbr.h>

namespace vgw::dataplane::rcu {

void register_thread() {
  rcu_register_thread();
}
void unregister_thread() {
  rcu_unregister_thread();
}
void quiescent() {
  rcu_quiescent_state();
}
void offline() {
  rcu_thread_offline();
}
void online() {
  rcu_thread_online();
}
void synchronize() {
  synchronize_rcu();
}

}  // namespace vgw::dataplane::rcu
