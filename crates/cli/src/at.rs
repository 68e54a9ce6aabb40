//! `--at`: the moment a command acts as of. Only here does tillit read the
//! clock, and only when `--at` is not given.

use jiff::ZonedDateTime as Zoned;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The zone tillit's dates are in.
pub const ZONE: &str = "Europe/Stockholm";

pub fn zone() -> anyhow::Result<TimeZone> {
    TimeZone::get(ZONE).map_err(|e| anyhow::anyhow!("time zone {ZONE} is unavailable: {e}"))
}

/// Parses an RFC 3339 timestamp (`2026-02-01T09:00:00Z`), a civil date-time
/// (`2026-02-01T09:00`, Stockholm time) or a date (`2026-02-01`, its start
/// in Stockholm).
pub fn parse(s: &str) -> Result<Zoned, String> {
    let tz = zone().map_err(|e| e.to_string())?;
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.to_zoned_datetime(tz));
    }
    if let Ok(dt) = s.parse::<DateTime>() {
        return dt.to_zoned_datetime(tz).map_err(|e| e.to_string());
    }
    if let Ok(d) = s.parse::<Date>() {
        return d.to_zoned_datetime(tz).map_err(|e| e.to_string());
    }
    Err(format!(
        "`{s}` is not a date or time; write 2026-02-01, 2026-02-01T09:00 (Stockholm time) or 2026-02-01T08:00:00Z"
    ))
}

/// `--at` if given, else now in Stockholm.
pub fn or_now(at: Option<Zoned>) -> anyhow::Result<Zoned> {
    match at {
        Some(at) => Ok(at),
        None => Ok(Zoned::now().with_time_zone(zone()?)),
    }
}

/// A moment as people here read it: `2026-02-01 09:00` in Stockholm.
pub fn shown(t: jiff::Timestamp) -> String {
    match zone() {
        Ok(tz) => t
            .to_zoned_datetime(tz)
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => t.to_string(),
    }
}
