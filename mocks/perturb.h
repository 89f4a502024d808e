#pragma once
// Schedule perturbation (docs/world.md, "Perturbation"): the variation a correct
// platform must tolerate, drawn from the seed so that a run stays a pure function of
// (scenario, seed). Two parts, switched on separately by WorldSpec::perturb:
//   same_instant  events at the same simulated instant run in an order drawn from
//                 SameInstantKey(seed) (Simulator::ShuffleSameInstant);
//   knobs         the knobs that may vary within their configured bounds are drawn
//                 by PerturbKnobs before the world is built.
// Later kinds of fault (crashes and restarts, skewed clocks) are meant to join here:
// each is one more flag of PerturbConfig and its own named stream.

#include <cstdint>
#include <string>

#include "mocks/config.h"

namespace bpsim::mocks {

// The key of the same-instant order for `seed` (its own stream, independent of
// every party's draws).
std::uint64_t SameInstantKey(std::uint64_t seed);

// Draws, from the stream (seed, "perturb.knobs"), for every bank: the API latency
// median and the webhook fault delay median x U(1/4, 1) with their p99 kept (the
// same bound, a wider spread: more reordering between requests and webhooks), the
// webhook retry back-off's initial x U(1/4, 1) and max x U(1/2, 1) (at least the
// initial); for the platform, the alert retry back-off likewise and the cache
// sweeper's interval x U(1/4, 1). Every value is drawn whatever the others are, so
// one bank's draws do not move another's. Returns what was drawn, e.g.
// "knobs: northbank latency median x0.41, webhook delay median x0.77, retry x0.52/x0.93;
// platform sweep x0.35, alert retry x0.61/x0.88".
std::string PerturbKnobs(WorldConfig* world, std::uint64_t seed);

}  // namespace bpsim::mocks
