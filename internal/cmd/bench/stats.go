package main

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of xs; 0
// for no samples.
func percentile(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// median is the median of xs (the mean of the two middle values for an
// even count); 0 for no samples.
func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianInt is the median of xs, as medianFloat.
func medianInt(xs []int) float64 {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return medianFloat(f)
}

// medianFloat is the median of xs; 0 for no samples.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// latency summarises samples: count and the percentiles reports show.
type latency struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

func summarize(xs []time.Duration) latency {
	l := latency{N: len(xs), P50: percentile(xs, 50), P95: percentile(xs, 95), P99: percentile(xs, 99)}
	if len(xs) > 0 {
		l.Max = slices.Max(xs)
	}
	return l
}

// ms renders a duration in milliseconds with one decimal.
func ms(d time.Duration) string {
	return trimFloat(float64(d)/float64(time.Millisecond), 1) + " ms"
}

// secs renders a duration in seconds with two decimals.
func secs(d time.Duration) string {
	return trimFloat(d.Seconds(), 2) + " s"
}

func trimFloat(v float64, prec int) string {
	return strconv.FormatFloat(v, 'f', prec, 64)
}
