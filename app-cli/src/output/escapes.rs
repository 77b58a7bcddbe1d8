//! Terminal escape sequences in children's output: kept (colours only) or removed.

/// Appends `message` to `out`, keeping SGR colour sequences (`ESC [ … m`) only when
/// `keep_colors`, removing every other escape sequence and control character but tab.
/// Returns `true` when a colour sequence was kept (the caller then resets after the line).
pub(crate) fn sanitize_into(message: &str, keep_colors: bool, out: &mut Vec<u8>) -> bool {
    let bytes = message.as_bytes();
    if !bytes
        .iter()
        .any(|&byte| byte < 0x20 && byte != b'\t' || byte == 0x7f)
    {
        out.extend_from_slice(bytes);
        return false;
    }
    let mut kept_color = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == 0x1b {
            let end = escape_end(bytes, index);
            let sequence = &bytes[index..end];
            if keep_colors
                && sequence.len() >= 3
                && sequence[1] == b'['
                && sequence.last() == Some(&b'm')
            {
                out.extend_from_slice(sequence);
                kept_color = true;
            }
            index = end;
        } else if byte < 0x20 && byte != b'\t' || byte == 0x7f {
            index += 1;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    kept_color
}

/// The index just past the escape sequence starting at `start` (which holds ESC).
fn escape_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start + 1) {
        // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
        Some(b'[') => bytes[start + 2..]
            .iter()
            .position(|byte| (0x40..=0x7e).contains(byte))
            .map_or(bytes.len(), |offset| start + 2 + offset + 1),
        // OSC, DCS, SOS, PM, APC: up to BEL or ESC \.
        Some(b']' | b'P' | b'X' | b'^' | b'_') => {
            let mut index = start + 2;
            while index < bytes.len() {
                match bytes[index] {
                    0x07 => return index + 1,
                    0x1b if bytes.get(index + 1) == Some(&b'\\') => return index + 2,
                    _ => index += 1,
                }
            }
            bytes.len()
        }
        Some(_) => (start + 2).min(bytes.len()),
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(message: &str, keep: bool) -> String {
        let mut out = Vec::new();
        sanitize_into(message, keep, &mut out);
        String::from_utf8(out).expect("stays UTF-8")
    }

    #[test]
    fn keeps_colors_only_when_asked_and_drops_other_escapes() {
        let line = "\x1b[31merror\x1b[0m: \x1b]0;title\x07bad\x1b[2Jx\r";
        assert_eq!(clean(line, true), "\x1b[31merror\x1b[0m: badx");
        assert_eq!(clean(line, false), "error: badx");
        assert_eq!(clean("plain\ttext", false), "plain\ttext");
        assert_eq!(clean("cut \x1b[3", true), "cut ");
    }
}
