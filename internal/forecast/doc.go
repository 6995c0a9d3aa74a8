// Package forecast predicts a group's capacity need for the next hours from
// its own history, so that capacity can be launching before the need
// arrives. It is pure: the history and the time "now" come in as values; it
// reads no clock, does no I/O, starts no goroutines and writes no logs, and
// the same input always gives the same output.
//
// # Input
//
// The history is a series of buckets of Step (5 min by default), each with
// its start time, the capacity the group needed in it and whether a boost
// or campaign was active. Bucket times are UTC; daylight saving time plays
// no part. Points are placed in the bucket containing their time; several
// in one bucket are averaged. Points at or after the start of the current
// bucket, points with a NaN, infinite or negative need, and points older
// than MaxLookback are ignored. A bucket with no point is a gap.
//
// # No forecast
//
// Predict gives no forecast (Forecast.OK false, with the reason) when:
//
//   - the history is empty;
//   - the newest bucket starts more than StaleSteps buckets (15 min at the
//     5 min step) before now: the newest complete bucket normally starts
//     between one and two steps before now, and one late bucket is allowed;
//     anything older means the need is not being recorded;
//   - the history spans less than MinHistory (one day): a daily rhythm
//     needs every time of day seen once;
//   - fewer than half of the last day's buckets hold a value, once campaign
//     buckets with no other day to replace them from are left out: the
//     forecast would mostly be its fallback.
//
// # Model
//
// The forecast for a future bucket is a weighted blend of seasonal-naive
// components, each using only the history before the current bucket:
//
//   - yesterday: the need at the same time of day on the most recent day
//     that has it (two days back for tomorrow's buckets, and so on);
//   - median_7d: the median of the same time of day over the last 7 days;
//   - last_week: the same time of week on the most recent week that has it;
//   - median_4w: the median of the same time of week over the last 4 weeks.
//
// A naive component looks up to NaiveTries periods back past gaps. The
// seasonality is weekly, with last_week, when the history spans at least
// WeeklyHistory (8 days: a week before every bucket of the last day, so the
// component can be backtested), and daily with less. median_4w joins at
// MedianWeeksHistory (14 days), when every time of week has been seen
// twice; with one week it would only repeat last_week.
//
// Before the components read it, the history is cleaned:
//
//   - Buckets flagged Campaign are excluded and replaced by the median of the
//     same time of week in the other weeks (weekly) or of the same time of
//     day on the other days (daily), so a planned campaign, which a boost
//     covers, does not raise the forecast.
//   - A value above median + ClipK * spread of its time of day over all days
//     is clipped to that bound. The spread is max(1.4826 * MAD, MinSpread *
//     median): the MAD of the differences from the median or, once there
//     are 7 pairs of days a week apart, of the week-over-week differences
//     over the square root of 2, so that quiet weekends do not count as
//     weekday noise. With weekly seasonality a high is kept when it recurs:
//     the same time of week in another week is above the bound too, and
//     each of the two is at least halfway from the median to the other; a
//     high that recurs weekly is rhythm, not an outlier. A weekly high seen
//     only once is clipped until it recurs. A one-off high then moves the
//     components that read it by at most ClipK spreads, halved in a
//     two-week median. Only highs are clipped: a low is either a quiet day
//     of the weekly rhythm or an outage, and a forecast that is too low only
//     costs the lead; the reactive policies still scale.
//
// A component's weight is the inverse of its mean squared error in a
// backtest over the last BacktestDays days (fewer when the history is
// shorter): from each day's start, each component forecasts that day from
// the history before it, and is compared with the cleaned need. Squared
// error (Bates and Granger's inverse-variance combination) punishes the
// large misses that matter, such as a daily component forecasting a
// weekday on a Saturday. With no backtest (a history of less than two
// days), the components weigh the same. A bucket no component can forecast
// falls back to the median of its time of day, then of the whole history.
//
// Quantiles come from the empirical distribution of the backtest's
// residuals (cleaned need minus blended forecast), taken per hour of day
// when that hour has at least MinHourResiduals of them and pooled
// otherwise: forecast_q = max(0, point + residual quantile q). With no
// residuals the quantiles are the point forecast. The backtest's leads are
// under one day, so the band of the second day may be narrower than its
// true error.
//
// # Floor
//
// Floor turns a forecast into a predictive floor: the capacity that must be
// launching at time at so that it serves from at+lead, with lead the
// group's launch lead. It is the highest quantile forecast over the window
// [at, at+lead], so a ramp that starts inside the lead is covered.
//
// # Evaluation
//
// Evaluate runs a rolling-origin backtest of the whole model over a
// history: MAPE (skipping zero actuals, where it is undefined), MAE, the
// pinball loss at the quantile and the coverage of the quantile.
package forecast
