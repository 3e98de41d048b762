// The RCU flavour the data plane uses (liburcu QSBR): workers are readers that
// announce a quiescent state between batches and go offline while idle;
// the control thread waits for a grace period before freeing what it replaced.
// Wrapped here so liburcu's macros stay out of every header.
#pragma once

namespace vgw::dataplane::rcu {

void register_thread();    // a worker thread, before it reads anything
void unregister_thread();  // a worker thread, before it exits
void quiescent();          // between batches: holds no reference to old state
void offline();            // before blocking (poll): grace periods need not wait for us
void online();             // after blocking
// Waits until every registered reader has passed a quiescent state (or is
// offline). Safe to call from an unregistered thread, or with no readers.
void synchronize();

}  // namespace vgw::dataplane::rcu
