// Dataplane::apply with a caller's dry-run snapshot (control/service.cc): published
// as is when it was built against the running snapshot, rebuilt when that changed
// in between (so nothing published since is lost).
#include <gtest/gtest.h>

#include "dataplane/dataplane.h"
#include "harness.h"

namespace vgw::dataplane::testing {
namespace {

TEST(ApplyPrebuilt, PublishesTheDryRunBuiltOnTheRunningSnapshot) {
  Dataplane dp;
  ASSERT_TRUE(dp.apply(base_config(), resolving_underlay()));
  auto base = dp.snapshot();
  config::Config next = base_config();
  next.networks[0].mac_limit = 77;
  auto dry = build_snapshot(next, resolving_underlay(), base.get());
  ASSERT_TRUE(dry) << dry.error().message;
  const Snapshot* built = dry->get();
  ASSERT_TRUE(dp.apply(next, resolving_underlay(), {std::move(*dry), base}));
  EXPECT_EQ(dp.snapshot().get(), built);
  uint32_t web = dp.snapshot()->network_by_name("web");
  EXPECT_EQ(dp.snapshot()->network(web).mac_limit, 77u);
}

TEST(ApplyPrebuilt, RebuildsWhenTheRunningSnapshotChanged) {
  Dataplane dp;
  ASSERT_TRUE(dp.apply(base_config(), resolving_underlay()));
  auto base = dp.snapshot();
  auto dry = build_snapshot(base_config(), resolving_underlay(), base.get());
  ASSERT_TRUE(dry);
  const Snapshot* built = dry->get();
  // Something publishes between the dry run and the apply (a learned remote).
  dp.update_underlay(resolving_underlay());
  ASSERT_NE(dp.snapshot(), base);
  ASSERT_TRUE(dp.apply(base_config(), resolving_underlay(), {std::move(*dry), base}));
  EXPECT_NE(dp.snapshot().get(), built);
  EXPECT_NE(dp.snapshot()->network_by_name("web"), kNone);
}

}  // namespace
}  // namespace vgw::dataplane::testing
