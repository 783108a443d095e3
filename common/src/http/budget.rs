//! A budget of bytes shared by every body a client holds at once. Each body is capped on its own
//! ([`super::BodyCap`]); the budget bounds their sum, so that many requests in flight together
//! (16 pages of up to 64 MiB each, by default) cannot add up to more memory than the budget.
//!
//! A body reserves its bytes before the first one is read: its declared `Content-Length`, or its
//! whole cap when it declares none. Reserving everything up front (rather than chunk by chunk)
//! means a reservation never waits while it already holds bytes, so bodies cannot deadlock each
//! other; once the body is read, what it did not use is given back at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::BodyCap;

/// Permits are counted in units of this many bytes, so that any budget fits the semaphore's
/// `u32` acquisitions (4 TiB).
const UNIT: u64 = 1024;

/// The bytes all bodies of one client may hold at once.
#[derive(Debug)]
pub struct ByteBudget {
    permits: Arc<Semaphore>,
    /// In bytes (a whole number of units).
    total: u64,
    /// The option or variable that raises it, for messages.
    option: Option<&'static str>,
    held: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
}

impl ByteBudget {
    /// A budget of `total` bytes (rounded up to a KiB; at least one KiB).
    pub fn new(total: u64, option: Option<&'static str>) -> Self {
        let units = total.div_ceil(UNIT).clamp(1, u64::from(u32::MAX));
        Self {
            // Lossless: at most u32::MAX units, within Semaphore::MAX_PERMITS on 64-bit targets.
            permits: Arc::new(Semaphore::new(
                usize::try_from(units).unwrap_or(Semaphore::MAX_PERMITS),
            )),
            total: units * UNIT,
            option,
            held: Arc::new(AtomicU64::new(0)),
            peak: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The budget in bytes.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The most bytes held at once so far (reservations, not resident memory).
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// The cap to read a body with: `cap`, or the budget itself when the budget is smaller (so a
    /// body that alone exceeds the budget fails with a message naming the budget's option).
    pub fn cap_within(&self, cap: BodyCap) -> BodyCap {
        if cap.limit <= self.total {
            cap
        } else {
            BodyCap::new(
                self.total,
                "all the bodies a client holds at once",
                self.option,
            )
        }
    }

    /// Waits until `bytes` (at most the budget: callers pass a value within
    /// [`Self::cap_within`]'s limit) can be held, and holds them until the reservation is dropped.
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let units = bytes.min(self.total).div_ceil(UNIT);
        // At most `total / UNIT`, which fits a u32 by construction.
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        // The semaphore is never closed; without a permit nothing is held or released.
        let permit = Arc::clone(&self.permits)
            .acquire_many_owned(units)
            .await
            .ok();
        let bytes = u64::from(units) * UNIT;
        let now = self.held.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak.fetch_max(now, Ordering::Relaxed);
        Reservation {
            permit,
            bytes,
            held: Arc::clone(&self.held),
        }
    }
}

/// Bytes held from a [`ByteBudget`]; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    bytes: u64,
    held: Arc<AtomicU64>,
}

impl Reservation {
    /// Gives back everything beyond `used` bytes (a body shorter than what was reserved for it).
    pub fn shrink_to(&mut self, used: u64) {
        let keep = used.div_ceil(UNIT);
        let Some(permit) = self.permit.as_mut() else {
            return;
        };
        let extra = permit
            .num_permits()
            .saturating_sub(usize::try_from(keep).unwrap_or(0));
        if extra == 0 {
            return;
        }
        drop(permit.split(extra));
        let freed = extra as u64 * UNIT;
        self.bytes -= freed;
        self.held.fetch_sub(freed, Ordering::Relaxed);
    }

    /// The bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.held.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn reservations_wait_for_room_and_give_back_what_they_did_not_use() {
        let budget = ByteBudget::new(10 * UNIT, Some("X"));
        runtime().block_on(async {
            let mut a = budget.reserve(6 * UNIT).await;
            assert_eq!(a.bytes(), 6 * UNIT);
            let pending = budget.reserve(6 * UNIT);
            tokio::pin!(pending);
            assert!(
                tokio::time::timeout(std::time::Duration::from_millis(20), &mut pending)
                    .await
                    .is_err(),
                "10 units cannot hold 6 + 6"
            );
            a.shrink_to(3 * UNIT + 1);
            assert_eq!(a.bytes(), 4 * UNIT, "rounded up to whole units");
            let b = pending.await;
            assert_eq!(b.bytes(), 6 * UNIT);
            assert_eq!(budget.peak(), 10 * UNIT);
            drop(a);
            drop(b);
            assert_eq!(budget.held.load(Ordering::Relaxed), 0);
        });
    }

    #[test]
    fn a_cap_over_the_budget_becomes_the_budget_and_names_its_option() {
        let budget = ByteBudget::new(1000, Some("THOTH_X"));
        assert_eq!(budget.total(), UNIT);
        let small = BodyCap::new(10, "a page", Some("P"));
        assert_eq!(budget.cap_within(small), small);
        let big = budget.cap_within(BodyCap::new(1 << 30, "a page", Some("P")));
        assert_eq!(big.limit, UNIT);
        assert_eq!(big.option, Some("THOTH_X"));
    }
}
