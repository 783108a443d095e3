//! Answer bodies read with a cap that is enforced while they stream: a declared
//! `Content-Length` over the cap is refused before a byte is read, and an undeclared (or lying)
//! length is counted chunk by chunk, so no server can make a client hold more than the cap, however
//! large or endless its answer.

use crate::secret::redact_url;

/// The most a body may hold, and what the user can do to raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyCap {
    pub limit: u64,
    /// What the limit is (`"an index page"`, `"the range asked for"`), for the message.
    pub what: &'static str,
    /// The option or variable that raises it; `None` for limits that follow from the protocol
    /// (a range answer never exceeds the range).
    pub option: Option<&'static str>,
}

impl BodyCap {
    pub const fn new(limit: u64, what: &'static str, option: Option<&'static str>) -> Self {
        Self {
            limit,
            what,
            option,
        }
    }
}

/// A body that is, or announced to be, larger than its cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url} {}: more than {limit} bytes, the most allowed for {what}{}", declared.map_or_else(|| "sent too much".to_owned(), |d| format!("declared {d} bytes")), option.map(|o| format!(" (raise it with {o} if the source is trusted)")).unwrap_or_default())]
pub struct BodyTooLarge {
    /// Credentials removed.
    pub url: String,
    pub limit: u64,
    /// The `Content-Length` the server announced, when that is what exceeded the cap.
    pub declared: Option<u64>,
    pub what: &'static str,
    pub option: Option<&'static str>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error(transparent)]
    TooLarge(#[from] BodyTooLarge),
    /// The connection failed or timed out mid-body.
    #[error("reading the answer of {url}: {message}")]
    Transport { url: String, message: String },
}

/// Reads the whole body of `response`, failing as soon as it exceeds `cap`.
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: BodyCap,
) -> Result<Vec<u8>, BodyError> {
    let url = redact_url(response.url().as_str());
    let too_large = |declared| BodyTooLarge {
        url: url.clone(),
        limit: cap.limit,
        declared,
        what: cap.what,
        option: cap.option,
    };
    let declared = response.content_length();
    if let Some(d) = declared.filter(|&d| d > cap.limit) {
        return Err(too_large(Some(d)).into());
    }
    // Reserve what was declared (already known to be within the cap); growth past it is
    // counted below, so a lying length cannot make the buffer exceed the cap either.
    let mut body = Vec::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(BodyError::Transport {
                    url,
                    message: super::describe_error(&e),
                });
            }
        };
        if (body.len() as u64).saturating_add(chunk.len() as u64) > cap.limit {
            return Err(too_large(None).into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads at most `limit` bytes of the body of `response` and drops the rest (closing the
/// connection): for error answers, whose text only goes into a message. A transport error
/// ends the prefix early rather than failing.
pub async fn read_prefix(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}
