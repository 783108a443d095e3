//! Wall-clock time as the document records it, and `SOURCE_DATE_EPOCH`.
//!
//! The document needs one UTC format (`%Y-%m-%dT%H:%M:%S.%f`, Python's `strftime`), so a
//! civil-date conversion of a few lines serves instead of a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// An instant as seconds and microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub seconds: i64,
    pub micros: u32,
}

impl Timestamp {
    pub fn now() -> Self {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Self {
                seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                micros: d.subsec_micros(),
            },
            Err(_) => Self {
                seconds: 0,
                micros: 0,
            },
        }
    }

    /// Reads `SOURCE_DATE_EPOCH` (the reproducible-builds convention): whole seconds since the
    /// epoch. Returns `Err` with a message when it is set but not a number.
    pub fn from_source_date_epoch(value: &str) -> Result<Self, String> {
        value
            .trim()
            .parse::<i64>()
            .map(|seconds| Self { seconds, micros: 0 })
            .map_err(|_| {
                format!("SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, got {value:?}")
            })
    }

    /// The time documents should carry: `SOURCE_DATE_EPOCH` when it is set and valid, else now.
    pub fn for_documents() -> Self {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| Self::from_source_date_epoch(&v).ok())
            .unwrap_or_else(Self::now)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, RFC 3339 in UTC without fractions (SPDX's `created`).
    pub fn to_rfc3339_seconds(self) -> String {
        let full = self.to_thoth_datetime();
        format!("{}Z", &full[..full.len().saturating_sub(7)])
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC, without a zone suffix, as Thoth wrote `datetime`.
    pub fn to_thoth_datetime(self) -> String {
        let days = self.seconds.div_euclid(86_400);
        let secs_of_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}",
            secs_of_day / 3600,
            secs_of_day % 3600 / 60,
            secs_of_day % 60,
            self.micros
        )
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python_strftime() {
        let t = Timestamp {
            seconds: 1_641_468_086,
            micros: 759_528,
        };
        assert_eq!(t.to_thoth_datetime(), "2022-01-06T11:21:26.759528");
        let epoch = Timestamp {
            seconds: 0,
            micros: 0,
        };
        assert_eq!(epoch.to_thoth_datetime(), "1970-01-01T00:00:00.000000");
        let leap = Timestamp {
            seconds: 951_782_400,
            micros: 1,
        };
        assert_eq!(leap.to_thoth_datetime(), "2000-02-29T00:00:00.000001");
        let before = Timestamp {
            seconds: -1,
            micros: 0,
        };
        assert_eq!(before.to_thoth_datetime(), "1969-12-31T23:59:59.000000");
        assert_eq!(t.to_rfc3339_seconds(), "2022-01-06T11:21:26Z");
    }

    #[test]
    fn source_date_epoch_is_parsed_or_explained() {
        assert_eq!(
            Timestamp::from_source_date_epoch("1700000000").map(|t| t.seconds),
            Ok(1_700_000_000)
        );
        let err = Timestamp::from_source_date_epoch("yesterday").expect_err("must fail");
        assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
    }
}
