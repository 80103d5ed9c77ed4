//! Per-caller rate limits: `60/min` lets a caller make a burst of 60
//! requests, refilled at one a second (GCRA, from `governor`). A caller's
//! state goes once it is back to a full burst, so memory follows the
//! callers active within one period, and a hard cap bounds even a flood of
//! distinct addresses.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

/// A request rate: `count` per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `60/min`, `10/s`, `1000/hour`, `5000/day`.
    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || {
            format!(
                "`{s}` is not a rate; write it as COUNT/UNIT, such as 60/min (units: s, min, hour, day)"
            )
        };
        let (count, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(bad());
        }
        Ok(Rate {
            count,
            period: Duration::from_secs(secs),
        })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.period.as_secs() {
            1 => "s",
            60 => "min",
            3600 => "hour",
            _ => "day",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl Rate {
    /// The same rate as a GCRA quota: a burst of `count`, one more every
    /// `period / count`.
    fn quota(self) -> Quota {
        let count = NonZeroU32::new(self.count).unwrap_or(NonZeroU32::MIN);
        let every = (self.period / count.get()).max(Duration::from_nanos(1));
        Quota::with_period(every)
            .expect("a positive period")
            .allow_burst(count)
    }
}

/// Check this many times between two prunings of idle callers.
const PRUNE_EVERY: usize = 1024;

/// Most callers tracked per rate. Past it, after pruning, the state of
/// that rate starts afresh: a flood of distinct addresses then costs the
/// flooder's neighbours one extra burst, never unbounded memory.
pub const MAX_TRACKED: usize = 50_000;

type Limiter<C> =
    Gcra<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Limits per caller (a key id, an OAuth subject or an IP address); one
/// GCRA state table per distinct rate.
pub struct RateLimiter<C: Clock + Clone = DefaultClock> {
    clock: C,
    limiters: Mutex<HashMap<Rate, std::sync::Arc<Limiter<C>>>>,
    checks: AtomicUsize,
}

impl Default for RateLimiter<DefaultClock> {
    fn default() -> Self {
        RateLimiter::with_clock(DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(clock: C) -> Self {
        RateLimiter {
            clock,
            limiters: Mutex::new(HashMap::new()),
            checks: AtomicUsize::new(0),
        }
    }

    fn limiter(&self, rate: Rate) -> std::sync::Arc<Limiter<C>> {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        limiters
            .entry(rate)
            .or_insert_with(|| {
                std::sync::Arc::new(Gcra::new(
                    rate.quota(),
                    DefaultKeyedStateStore::default(),
                    self.clock.clone(),
                ))
            })
            .clone()
    }

    /// Takes one request from `caller`'s allowance; `Err(wait)` says how
    /// long until the next request is allowed.
    pub fn check(&self, caller: &str, rate: Rate) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        let limiter = self.limiter(rate);
        limiter
            .check_key(&caller.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets callers whose allowance is full again; past [`MAX_TRACKED`],
    /// forgets every caller of that rate.
    pub fn prune(&self) {
        let mut limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        for (rate, limiter) in limiters.iter_mut() {
            limiter.retain_recent();
            if limiter.len() > MAX_TRACKED {
                tracing::warn!(
                    "more than {MAX_TRACKED} callers at the rate {rate} at once; their limits start afresh"
                );
                *limiter = std::sync::Arc::new(Gcra::new(
                    rate.quota(),
                    DefaultKeyedStateStore::default(),
                    self.clock.clone(),
                ));
            }
            limiter.shrink_to_fit();
        }
    }

    /// Callers whose state is kept, over all rates.
    pub fn tracked(&self) -> usize {
        let limiters = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
        limiters.values().map(|l| l.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let r: Rate = "60/min".parse().unwrap();
        assert_eq!((r.count, r.period.as_secs()), (60, 60));
        assert_eq!(r.to_string(), "60/min");
        assert_eq!("10/s".parse::<Rate>().unwrap().to_string(), "10/s");
        for bad in ["60", "x/min", "0/min", "5/fortnight"] {
            let err = bad.parse::<Rate>().unwrap_err();
            assert!(err.contains("COUNT/UNIT"), "{err}");
        }
    }

    #[test]
    fn buckets_allow_a_burst_then_refill() {
        let clock = governor::clock::FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(clock.clone());
        let rate: Rate = "3/min".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check("alice", rate).is_ok());
        }
        let wait = limiter.check("alice", rate).unwrap_err();
        assert!((wait.as_secs_f64() - 20.0).abs() < 0.01, "{wait:?}");
        assert!(limiter.check("bob", rate).is_ok(), "callers are separate");
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check("alice", rate).is_ok());
        clock.advance(Duration::from_secs(1));
        assert!(limiter.check("alice", rate).is_err());
    }

    /// 100,000 distinct addresses, one request each, 1 ms apart: idle
    /// callers are pruned as they go, so the table stays at the callers of
    /// about one refill period.
    #[test]
    fn a_flood_of_addresses_keeps_memory_flat() {
        let clock = governor::clock::FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(clock.clone());
        let rate: Rate = "60/min".parse().unwrap();
        let mut most = 0;
        for n in 0..100_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0b00_0000 + n);
            let _ = limiter.check(&format!("ip:{ip}"), rate);
            clock.advance(Duration::from_millis(1));
            most = most.max(limiter.tracked());
        }
        assert!(most < 4 * PRUNE_EVERY, "{most} callers tracked at once");
        // The real clock: 100,000 addresses at once stay under the cap.
        let limiter = RateLimiter::default();
        for n in 0..100_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0c00_0000 + n);
            let _ = limiter.check(&format!("ip:{ip}"), rate);
            assert!(limiter.tracked() <= MAX_TRACKED + PRUNE_EVERY);
        }
    }
}
