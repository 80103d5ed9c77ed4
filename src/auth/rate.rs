//! Token-bucket rate limits: `60/min` lets a caller make a burst of 60
//! requests, refilled at one a second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A request rate: `count` per `period`.
#[derive(Debug, Clone, Copy, PartialEq)]
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

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets per caller (a key id or an IP address).
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Takes one token from `caller`'s bucket; `Err(wait)` says how long
    /// until the next token when the bucket is empty.
    pub fn check(&self, caller: &str, rate: Rate) -> Result<(), Duration> {
        self.check_at(caller, rate, Instant::now())
    }

    fn check_at(&self, caller: &str, rate: Rate, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(rate.count);
        let per_second = capacity / rate.period.as_secs_f64();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
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
        let limiter = RateLimiter::default();
        let rate: Rate = "3/min".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("alice", rate, t0).is_ok());
        }
        let wait = limiter.check_at("alice", rate, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 20.0).abs() < 0.01, "{wait:?}");
        assert!(
            limiter.check_at("bob", rate, t0).is_ok(),
            "callers are separate"
        );
        assert!(
            limiter
                .check_at("alice", rate, t0 + Duration::from_secs(20))
                .is_ok()
        );
        assert!(
            limiter
                .check_at("alice", rate, t0 + Duration::from_secs(21))
                .is_err()
        );
    }
}
