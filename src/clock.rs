//! The run's clock: the system's, or `CONFORM_NOW` (RFC 3339) when tests fix
//! it, so that certificate windows, "today" for identifiers and report
//! times all agree.

use chrono::{DateTime, Utc};

/// Now, or `CONFORM_NOW`; an unreadable `CONFORM_NOW` is an error.
pub fn now() -> Result<DateTime<Utc>, String> {
    match std::env::var("CONFORM_NOW") {
        Ok(s) => DateTime::parse_from_rfc3339(&s)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| format!("CONFORM_NOW `{s}` is not an RFC 3339 time: {e}")),
        Err(_) => Ok(Utc::now()),
    }
}

/// [`now`], falling back to the system clock (a run refuses a bad
/// `CONFORM_NOW` at its start, so the fallback is for library callers).
pub fn now_lenient() -> DateTime<Utc> {
    now().unwrap_or_else(|_| Utc::now())
}
