//! stderr, scrubbed: log lines (every `-v` level, text or JSON) and the runner's messages.

use std::io::Write;

use super::scrub::scrub;

/// Writes `text` to stderr after the scrub. A closed stderr is not worth failing a run for.
pub fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(scrub(text).as_bytes());
    let _ = err.flush();
}

/// `eprintln!` through the scrub.
pub fn eprintln_scrubbed(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    write_stderr(&text);
}

/// The writer `tracing` formats one event into: the event is collected whole, then scrubbed
/// and written in one piece when the writer is dropped (a URL is never split across writes).
#[derive(Debug, Default)]
pub struct ScrubbingStderr {
    buffer: Vec<u8>,
}

impl ScrubbingStderr {
    /// For `tracing_subscriber::fmt().with_writer(ScrubbingStderr::make)`.
    pub fn make() -> Self {
        Self::default()
    }
}

impl Write for ScrubbingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            write_stderr(&String::from_utf8_lossy(&self.buffer));
            self.buffer.clear();
        }
        Ok(())
    }
}

impl Drop for ScrubbingStderr {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
