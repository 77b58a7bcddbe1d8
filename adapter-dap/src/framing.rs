//! DAP's base protocol: each message is `Content-Length: N\r\n`, optional other headers, a
//! blank line, then N bytes of JSON. The decoder takes bytes in whatever chunks a pipe gives
//! (one message split over many reads, or many messages in one read) and hands out whole
//! message bodies; it never reads anything itself.

/// The longest header section accepted: real clients send one or two short headers, so
/// anything longer is a client speaking another protocol, not a message to wait for.
pub const MAX_HEADER_BYTES: usize = 4096;

/// The largest body accepted. DAP requests are small; this bounds what a broken or hostile
/// client can make the adapter hold.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Why the byte stream is not DAP framing. The stream cannot be resynchronised after one of
/// these, so the adapter reports it and ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// The header section grew past [`MAX_HEADER_BYTES`] without its blank line.
    #[error("a message header is longer than {MAX_HEADER_BYTES} bytes")]
    HeaderTooLong,
    /// A header line is not `Name: value` in ASCII.
    #[error("malformed header line {line:?}")]
    MalformedHeader {
        /// The line, lossily decoded.
        line: String,
    },
    /// The header section ended without `Content-Length`.
    #[error("a message has no Content-Length header")]
    MissingContentLength,
    /// `Content-Length` appeared twice.
    #[error("a message has two Content-Length headers")]
    DuplicateContentLength,
    /// `Content-Length` is not a decimal number.
    #[error("Content-Length {value:?} is not a number of bytes")]
    InvalidContentLength {
        /// What it said.
        value: String,
    },
    /// `Content-Length` is over [`MAX_BODY_BYTES`].
    #[error("Content-Length {length} is over the limit of {MAX_BODY_BYTES} bytes")]
    BodyTooLarge {
        /// What it said.
        length: usize,
    },
}

/// Incremental decoder of framed messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: Vec<u8>,
    /// The body length of the message whose header has been read, while its body is awaited.
    body_length: Option<usize>,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes as they arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole message body, `None` until one has arrived in full.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let length = match self.body_length {
            Some(length) => length,
            None => {
                let Some((header_end, length)) = self.parse_header()? else {
                    return Ok(None);
                };
                self.buffer.drain(..header_end);
                self.body_length = Some(length);
                length
            }
        };
        if self.buffer.len() < length {
            return Ok(None);
        }
        self.body_length = None;
        let rest = self.buffer.split_off(length);
        Ok(Some(std::mem::replace(&mut self.buffer, rest)))
    }

    /// `(bytes of the header section including its blank line, body length)` once the header
    /// section is complete.
    fn parse_header(&self) -> Result<Option<(usize, usize)>, FramingError> {
        let Some(end) = find(&self.buffer, b"\r\n\r\n") else {
            if self.buffer.len() > MAX_HEADER_BYTES {
                return Err(FramingError::HeaderTooLong);
            }
            return Ok(None);
        };
        if end > MAX_HEADER_BYTES {
            return Err(FramingError::HeaderTooLong);
        }
        let mut length = None;
        for line in self.buffer[..end].split(|byte| *byte == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let malformed = || FramingError::MalformedHeader {
                line: String::from_utf8_lossy(line).into_owned(),
            };
            let text = std::str::from_utf8(line).map_err(|_| malformed())?;
            let (name, value) = text.split_once(':').ok_or_else(malformed)?;
            if !is_token(name) {
                return Err(malformed());
            }
            // Header names are case-insensitive; other headers (Content-Type) carry nothing
            // this adapter needs.
            if name.eq_ignore_ascii_case("content-length") {
                if length.is_some() {
                    return Err(FramingError::DuplicateContentLength);
                }
                let value = value.trim();
                let parsed =
                    parse_length(value).ok_or_else(|| FramingError::InvalidContentLength {
                        value: value.to_owned(),
                    })?;
                if parsed > MAX_BODY_BYTES {
                    return Err(FramingError::BodyTooLarge { length: parsed });
                }
                length = Some(parsed);
            }
        }
        let length = length.ok_or(FramingError::MissingContentLength)?;
        Ok(Some((end + 4, length)))
    }
}

/// An HTTP token (RFC 9110), which is what a header name must be: a line of JSON sent without
/// a header is then told as a malformed header rather than skipped as an unknown one.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// Digits only: `usize::from_str` would also take a leading `+`.
fn parse_length(value: &str) -> Option<usize> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Appends `body` framed as one message to `out`.
pub fn encode(body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Result<Vec<String>, FramingError> {
        let mut decoder = Decoder::new();
        let mut messages = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(body) = decoder.next_message()? {
                messages.push(String::from_utf8(body).expect("test bodies are UTF-8"));
            }
        }
        Ok(messages)
    }

    #[rstest]
    #[case::one_message(&["Content-Length: 2\r\n\r\n{}"], &["{}"])]
    #[case::coalesced(&["Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]"], &["{}", "[1]"])]
    #[case::split_in_header(&["Content-Len", "gth: 2\r", "\n\r", "\n{}"], &["{}"])]
    #[case::split_in_body(&["Content-Length: 4\r\n\r\n{\"", "\"}"], &["{\"\"}"])]
    #[case::byte_by_byte(&["C", "o", "ntent-Length: 1\r\n\r\n", "1", "Content-Length: 1\r\n\r\n2"], &["1", "2"])]
    #[case::other_headers(&["Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}"], &["{}"])]
    #[case::any_case_and_spaces(&["content-length:   2  \r\n\r\n{}"], &["{}"])]
    #[case::empty_body(&["Content-Length: 0\r\n\r\n"], &[""])]
    #[case::incomplete(&["Content-Length: 5\r\n\r\n{}"], &[])]
    #[case::multibyte_body(&["Content-Length: 4\r\n\r\n\"é\""], &["\"é\""])]
    fn decodes(#[case] chunks: &[&str], #[case] expected: &[&str]) {
        let chunks: Vec<&[u8]> = chunks.iter().map(|chunk| chunk.as_bytes()).collect();
        assert_eq!(
            decode_all(&chunks),
            Ok(expected.iter().map(|s| (*s).to_owned()).collect())
        );
    }

    #[rstest]
    #[case::no_length(b"Content-Type: x\r\n\r\n{}", FramingError::MissingContentLength)]
    #[case::not_a_number(b"Content-Length: two\r\n\r\n", FramingError::InvalidContentLength { value: "two".into() })]
    #[case::signed(b"Content-Length: +2\r\n\r\n{}", FramingError::InvalidContentLength { value: "+2".into() })]
    #[case::negative(b"Content-Length: -1\r\n\r\n", FramingError::InvalidContentLength { value: "-1".into() })]
    #[case::empty_length(b"Content-Length:\r\n\r\n", FramingError::InvalidContentLength { value: String::new() })]
    #[case::duplicate(
        b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        FramingError::DuplicateContentLength
    )]
    #[case::no_colon(b"Content-Length 2\r\n\r\n{}", FramingError::MalformedHeader { line: "Content-Length 2".into() })]
    #[case::json_without_header(b"{\"seq\":1}\r\n\r\n", FramingError::MalformedHeader { line: "{\"seq\":1}".into() })]
    #[case::too_large(b"Content-Length: 99999999999\r\n\r\n", FramingError::BodyTooLarge { length: 99_999_999_999 })]
    fn rejects(#[case] bytes: &[u8], #[case] expected: FramingError) {
        assert_eq!(decode_all(&[bytes]), Err(expected));
    }

    #[test]
    fn a_header_without_its_blank_line_is_bounded() {
        let endless = vec![b'x'; MAX_HEADER_BYTES + 1];
        assert_eq!(decode_all(&[&endless]), Err(FramingError::HeaderTooLong));
        let mut decoder = Decoder::new();
        decoder.push(&endless[..MAX_HEADER_BYTES]);
        assert_eq!(decoder.next_message(), Ok(None), "still within the limit");
    }

    #[test]
    fn encoded_messages_decode_back_whatever_the_chunking() {
        let bodies = ["{}", "{\"a\":\"é\"}", "", "[1,2,3]"];
        let mut stream = Vec::new();
        for body in bodies {
            encode(body.as_bytes(), &mut stream);
        }
        for size in [1, 2, 3, 7, 64, stream.len()] {
            let chunks: Vec<&[u8]> = stream.chunks(size).collect();
            assert_eq!(
                decode_all(&chunks),
                Ok(bodies.map(str::to_owned).to_vec()),
                "chunks of {size}"
            );
        }
    }
}
