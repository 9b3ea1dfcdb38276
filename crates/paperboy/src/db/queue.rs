//! What every leased queue shares: how long to wait before trying again.

use std::time::Duration;

/// The longest wait before another attempt.
pub const RETRY_MAX: Duration = Duration::from_secs(3600);

/// The backoff before attempt `attempt + 1`.
pub fn backoff(base: Duration, attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(2_u32.saturating_pow(exponent)).min(RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 30), RETRY_MAX);
    }
}
