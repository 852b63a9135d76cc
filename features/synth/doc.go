// Package synth makes synthetic social worlds: persons on one to four apps,
// their accounts and events, an advertiser's seed list drawn from a hidden
// customer segment, and the ground truth of that segment.
//
// The world is realistic where sosie's product is hard. Phones are written
// the many ways people write them, in ten countries, and some are missing,
// junk, invalid, or test numbers shared by many accounts; some persons have
// two accounts on one app; demographics have gaps and apps disagree;
// consent varies per person and app; some events arrive after the as-of
// time or before the window.
//
// The hidden segment has three kinds of customer (travellers, gamers,
// investors), each a shift of interests, apps, devices, ages and habits
// that everybody else also draws from, and some non-customers share a
// kind's tastes at half strength. A model can learn the segment, but it has
// to rank, not just look up. The seed list is a random part of the segment;
// the ground truth lists the whole segment and which of it is in the seed,
// so a test can measure how many hidden customers a model ranks high.
//
// Generation streams: memory does not grow with the number of persons, and
// the same Config and Seed write the same bytes.
package synth
