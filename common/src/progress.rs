//! Progress bars for long work, drawn on stderr only when a person is watching it.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{ProgressDrawTarget, ProgressStyle};

pub use indicatif::ProgressBar;

/// `-q/--quiet`: no bars even at a terminal.
static SILENCED: AtomicBool = AtomicBool::new(false);

/// Turns every bar of the run off (`-q`).
pub fn silence() {
    SILENCED.store(true, Ordering::Relaxed);
}

/// Whether progress should be drawn: stderr is a terminal and `-q` was not given. In a pod or
/// a pipe, log lines carry the progress instead.
pub fn enabled() -> bool {
    !SILENCED.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A bar for `len` units of work; hidden when stderr is not a terminal.
pub fn bar(len: u64, message: impl Into<String>) -> ProgressBar {
    styled(
        ProgressBar::with_draw_target(Some(len), target()),
        "{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}",
        message,
    )
}

/// A spinner for work of unknown length; hidden when stderr is not a terminal.
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, target());
    bar.set_message(message.into());
    bar.enable_steady_tick(TICK);
    bar
}

/// A spinner that counts units of unknown total (`files walked: 1234`).
pub fn counter(message: impl Into<String>) -> ProgressBar {
    let bar = styled(
        ProgressBar::with_draw_target(None, target()),
        "{spinner} {msg}: {pos} {elapsed}",
        message,
    );
    bar.enable_steady_tick(TICK);
    bar
}

/// Progress in bytes: a bar with throughput and time left when the total is known, a spinner
/// with bytes and throughput otherwise.
pub fn bytes(total: Option<u64>, message: impl Into<String>) -> ProgressBar {
    match total {
        Some(total) => styled(
            ProgressBar::with_draw_target(Some(total), target()),
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
            message,
        ),
        None => {
            let bar = styled(
                ProgressBar::with_draw_target(None, target()),
                "{spinner} {msg} {bytes} {binary_bytes_per_sec} {elapsed}",
                message,
            );
            bar.enable_steady_tick(TICK);
            bar
        }
    }
}

/// Moves `bar` to the sum of `counters` (byte counts the readers update as they go) every tick,
/// until dropped; then clears the bar. No thread when the bar is not drawn.
pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    bar: ProgressBar,
}

pub fn follow(bar: ProgressBar, counters: Vec<Arc<AtomicU64>>) -> Follower {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = (!bar.is_hidden()).then(|| {
        let (stop, bar) = (Arc::clone(&stop), bar.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                bar.set_position(counters.iter().map(|c| c.load(Ordering::Relaxed)).sum());
                std::thread::sleep(TICK);
            }
        })
    });
    Follower { stop, thread, bar }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.bar.finish_and_clear();
    }
}

const TICK: Duration = Duration::from_millis(120);

fn styled(bar: ProgressBar, template: &str, message: impl Into<String>) -> ProgressBar {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message.into());
    // A run that ends early (an error) leaves no half-drawn bar above its message.
    bar.with_finish(indicatif::ProgressFinish::AndClear)
}

fn target() -> ProgressDrawTarget {
    if enabled() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_without_a_terminal_draws_nothing_and_stops() {
        // Tests run with stderr captured or piped: the bar is hidden, no thread is started.
        let counter = Arc::new(AtomicU64::new(7));
        let follower = follow(bytes(Some(10), "layers"), vec![Arc::clone(&counter)]);
        assert!(follower.thread.is_none() || enabled());
        drop(follower);
    }
}
