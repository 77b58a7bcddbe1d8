//! What the JSON writer remembers from one line to the next: the last `at`'s text, and the last
//! `log` line's text up to the opening quote of its message. The lines of one read share
//! everything there but their `seq`, which goes up by one, so that text is written once per
//! read and changed in place for each line.

use crate::json::write_u64;
use crate::{LineMeta, LogView, RunNumber, Seq, Severity, Source, Stream, Timestamp};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// The last `at` written, quoted (`"2026-04-06T10:00:00.120000000Z"`), and the date and time
/// of day of its second, which a new `at` in the same second reuses.
#[derive(Debug, Default)]
pub(crate) struct AtText {
    at: Option<Timestamp>,
    text: Vec<u8>,
    /// The second `second_prefix` belongs to, and `"YYYY-MM-DDTHH:MM:SS.`.
    second: Option<i64>,
    second_prefix: Vec<u8>,
}

impl AtText {
    /// Appends `at`, quoted.
    pub(crate) fn write(&mut self, at: Timestamp, out: &mut Vec<u8>) {
        out.extend_from_slice(self.text(at));
    }

    fn text(&mut self, at: Timestamp) -> &[u8] {
        if self.at != Some(at) {
            self.format(at);
            self.at = Some(at);
        }
        &self.text
    }

    fn format(&mut self, at: Timestamp) {
        let nanos = at.unix_nanos();
        let second = nanos.div_euclid(NANOS_PER_SECOND);
        if self.second != Some(second) {
            self.second_prefix.clear();
            self.second_prefix.push(b'"');
            // `second * NANOS_PER_SECOND` overflows below -9223372036 s: format `at` itself.
            let whole = at.to_string();
            // "YYYY-MM-DDTHH:MM:SS." of "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ".
            self.second_prefix
                .extend_from_slice(&whole.as_bytes()[..whole.len() - 10]);
            self.second = Some(second);
        }
        self.text.clear();
        self.text.extend_from_slice(&self.second_prefix);
        let mut fraction = nanos.rem_euclid(NANOS_PER_SECOND) as u32;
        let mut digits = [b'0'; 9];
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        self.text.extend_from_slice(&digits);
        self.text.extend_from_slice(b"Z\"");
    }
}

/// What a `log` line's text before its message depends on, but its `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LogHeadKey {
    run: RunNumber,
    at: Timestamp,
    source: Source,
    severity: Severity,
    stream: Option<Stream>,
}

impl LogHeadKey {
    fn of(run: RunNumber, meta: &LineMeta) -> Self {
        Self {
            run,
            at: meta.at,
            source: meta.source,
            severity: meta.severity,
            stream: meta.stream,
        }
    }

    /// Whether it is the key of `meta` in `run`: every field compared without a branch each.
    #[inline]
    fn is_for(&self, run: RunNumber, meta: &LineMeta) -> bool {
        (self.run == run)
            & (self.at == meta.at)
            & (self.source == meta.source)
            & (self.severity == meta.severity)
            & (self.stream == meta.stream)
    }
}

const LOG_START: &[u8] = b"{\"kind\":\"log\",\"seq\":";

/// The last `log` line's text up to the opening quote of its message:
/// `{"kind":"log","seq":…,"run":…,"at":"…","source":"…","severity":"…"[,"stream":"…"],
/// "message":"`. The next line of the same read changes only its `seq`, which goes up by one
/// in place.
#[derive(Debug, Default)]
pub(crate) struct LogPrefix {
    /// What `text` was written for, but its `seq`; `None` before the first line.
    key: Option<LogHeadKey>,
    /// The `seq` in `text`.
    seq: Seq,
    /// The text, then zeros up to at least [`PREFIX_COPY`] bytes, so that it can be copied
    /// with copies of a fixed size (`short_copy::append_with_fixed_copy`).
    text: Vec<u8>,
    /// Where the text ends in `text`, before the padding.
    len: usize,
    /// Where the digits of `seq` end in `text` (they start at `LOG_START.len()`).
    seq_end: usize,
}

/// How many bytes of a prefix's padded text are copied at once: the text of almost every
/// `log` line is shorter.
pub(crate) const PREFIX_COPY: usize = 160;

/// A [`LogPrefix`]'s text copied for the lines of one batch that share it, their `seq` counted
/// up here: the writer's loop then keeps the text in a buffer of its own, which counting up
/// a digit cannot change behind the compiler's back (a byte stored into the writer's own
/// state, as `LogPrefix` does, made it read all of that state back from memory at every line).
#[derive(Debug)]
pub(crate) struct BatchPrefix {
    /// The text, then whatever follows up to [`PREFIX_COPY`] bytes.
    text: [u8; PREFIX_COPY],
    len: usize,
    /// Where the digits of `seq` end in `text`.
    seq_end: usize,
}

impl BatchPrefix {
    /// A copy of `prefix`'s current text, if it fits in [`PREFIX_COPY`] bytes (almost every
    /// `log` line's does).
    #[inline]
    pub(crate) fn of(prefix: &LogPrefix) -> Option<Self> {
        let text = prefix.text.first_chunk::<PREFIX_COPY>()?;
        (prefix.len <= PREFIX_COPY).then_some(Self {
            text: *text,
            len: prefix.len,
            seq_end: prefix.seq_end,
        })
    }

    /// Appends the text with two copies of a fixed size, then cuts what they copied past it:
    /// the compiler inlines a copy of up to 128 bytes as register moves, and calls the C
    /// library for more.
    #[inline]
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        let (head, tail) = self.text.split_at(128);
        out.extend_from_slice(head);
        out.extend_from_slice(tail);
        out.truncate(out.len() - (PREFIX_COPY - self.len));
    }

    /// Appends a whole `log` line: this text, then `message[..message_len]`, then
    /// `end[..end_len]`, each with one copy of a fixed size, into room reserved once. The
    /// vector's length then stays in a register across the three copies, instead of being
    /// checked against the capacity, stored and cut back for each.
    ///
    /// # Panics
    /// When a length is over its array's (`message_len` over `MESSAGE`, `end_len` over `END`).
    #[inline(always)]
    pub(crate) fn append_line_to<const MESSAGE: usize, const END: usize>(
        &self,
        out: &mut Vec<u8>,
        (message, message_len): (&[u8; MESSAGE], usize),
        (end, end_len): (&[u8; END], usize),
    ) {
        assert!(self.len <= PREFIX_COPY && message_len <= MESSAGE && end_len <= END);
        out.reserve(PREFIX_COPY + MESSAGE + END);
        let start = out.len();
        let message_at = start + self.len;
        let end_at = message_at + message_len;
        // SAFETY: each copy starts where the part before it ends and writes the whole array
        // given: the prefix's up to `start + PREFIX_COPY`, the message's up to `message_at +
        // MESSAGE`, the end's up to `end_at + END`, none further than `start + PREFIX_COPY +
        // MESSAGE + END` (the lengths are checked just above), which the room reserved
        // covers. The arrays are borrowed apart from `out`, so they cannot overlap its spare
        // room. Every byte up to the new length was written by one of the copies.
        unsafe {
            let to = out.as_mut_ptr();
            std::ptr::copy_nonoverlapping(self.text.as_ptr(), to.add(start), PREFIX_COPY);
            std::ptr::copy_nonoverlapping(message.as_ptr(), to.add(message_at), MESSAGE);
            std::ptr::copy_nonoverlapping(end.as_ptr(), to.add(end_at), END);
            out.set_len(end_at + end_len);
        }
    }

    /// Makes the text's `seq` the next one in place: `false` when its digits were all nines,
    /// since the number then needs one more digit (and the text is written again).
    #[inline]
    pub(crate) fn count_up(&mut self) -> bool {
        count_up(&mut self.text[..self.seq_end])
    }
}

/// Adds one to the digits of `seq` that end `text`, in place; `false` when they were all
/// nines. Nine lines in ten change only the last digit.
#[inline]
fn count_up(text: &mut [u8]) -> bool {
    match text.last_mut() {
        Some(last) if *last < b'9' => {
            *last += 1;
            true
        }
        _ => carry(text),
    }
}

/// [`count_up`] past a last digit of nine.
fn carry(text: &mut [u8]) -> bool {
    for digit in text[LOG_START.len()..].iter_mut().rev() {
        if *digit != b'9' {
            *digit += 1;
            return true;
        }
        *digit = b'0';
    }
    false
}

impl LogPrefix {
    /// The text for `log`, changed in place when only its `seq` follows the last one's.
    #[cfg(test)]
    pub(crate) fn text(&mut self, log: &LogView<'_>, at: &mut AtText) -> &[u8] {
        let (padded, len) = self.padded_text(log, at);
        &padded[..len]
    }

    /// The text for `log` and its length: the slice holds the text then padding up to at
    /// least [`PREFIX_COPY`] bytes.
    #[inline]
    pub(crate) fn padded_text(&mut self, log: &LogView<'_>, at: &mut AtText) -> (&[u8], usize) {
        let meta = LineMeta {
            at: log.at,
            source: log.source,
            severity: log.severity,
            stream: log.stream,
            truncated: log.truncated,
        };
        self.padded_for(log.seq, log.run, &meta, at)
    }

    /// [`padded_text`](Self::padded_text) for the line of `meta` numbered `seq` in `run`: the
    /// writer's loop over a batch, once per line.
    #[inline]
    pub(crate) fn padded_for(
        &mut self,
        seq: Seq,
        run: RunNumber,
        meta: &LineMeta,
        at: &mut AtText,
    ) -> (&[u8], usize) {
        let same_head = self.key.is_some_and(|key| key.is_for(run, meta));
        if !(same_head && self.move_to(seq)) {
            self.format(seq, LogHeadKey::of(run, meta), at);
        }
        (&self.text, self.len)
    }

    /// Makes the text's `seq` read `seq` in place: `false` unless it is the same or the next
    /// one, with as many digits.
    #[inline]
    fn move_to(&mut self, seq: Seq) -> bool {
        if seq == self.seq {
            return true;
        }
        if self.seq.wrapping_add(1) != seq || seq == 0 {
            return false;
        }
        let counted = count_up(&mut self.text[..self.seq_end]);
        if counted {
            self.seq = seq;
        }
        counted
    }

    /// Writes the whole text: once per read, or at a jump of `seq`.
    #[cold]
    #[inline(never)]
    fn format(&mut self, seq: Seq, key: LogHeadKey, at: &mut AtText) {
        let text = &mut self.text;
        text.clear();
        text.extend_from_slice(LOG_START);
        write_u64(seq, text);
        self.seq_end = text.len();
        text.extend_from_slice(b",\"run\":");
        write_u64(key.run, text);
        text.extend_from_slice(b",\"at\":");
        at.write(key.at, text);
        text.extend_from_slice(b",\"source\":\"");
        text.extend_from_slice(key.source.as_str().as_bytes());
        text.extend_from_slice(b"\",\"severity\":\"");
        text.extend_from_slice(key.severity.as_str().as_bytes());
        if let Some(stream) = key.stream {
            text.extend_from_slice(b"\",\"stream\":\"");
            text.extend_from_slice(stream.as_str().as_bytes());
        }
        text.extend_from_slice(b"\",\"message\":\"");
        self.len = text.len();
        text.resize(self.len.max(PREFIX_COPY), 0);
        self.key = Some(key);
        self.seq = seq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix_seq(prefix: &mut LogPrefix, at: &mut AtText, seq: Seq) -> String {
        let log = LogView {
            seq,
            run: 1,
            at: Timestamp::EPOCH,
            source: Source::Runtime,
            severity: Severity::Info,
            stream: None,
            message: "",
            truncated: false,
        };
        let text = String::from_utf8(prefix.text(&log, at).to_vec()).expect("utf-8");
        let digits = &text[LOG_START.len()..];
        digits[..digits.find(',').expect("a comma after seq")].to_owned()
    }

    #[test]
    fn seq_digits_count_up_across_every_carry_and_follow_any_jump() {
        let (mut prefix, mut at) = (LogPrefix::default(), AtText::default());
        let starts = [0, 1, 8, 9, 98, 99, 999, 1_099, 9_999_999_999_999_999_999];
        for start in starts {
            for seq in start..start + 13 {
                assert_eq!(prefix_seq(&mut prefix, &mut at, seq), seq.to_string());
            }
        }
        for seq in [
            u64::MAX - 2,
            u64::MAX - 1,
            u64::MAX,
            0,
            5,
            5,
            4,
            u64::MAX,
            10,
        ] {
            assert_eq!(prefix_seq(&mut prefix, &mut at, seq), seq.to_string());
        }
    }
}
