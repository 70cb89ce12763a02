//! The wire: `Content-Length` framed JSON-RPC over a byte stream. Frames that
//! are not JSON, or JSON that is no JSON-RPC message, are answered with an
//! error and the stream goes on; only the end of the stream (or a header
//! that cannot be framed) stops reading.

use lsp_server::{ErrorCode, Message};
use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// The largest message read (a file's text travels in one message).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// What one frame held.
pub enum Frame {
    Message(Message),
    /// An error response to send back at once (malformed frame or message).
    Invalid(Value),
}

/// Reads the next frame; `Ok(None)` at the end of the stream, `Err` when the
/// stream cannot be framed any more.
pub fn read(r: &mut impl BufRead) -> Result<Option<Frame>, String> {
    Ok(read_body(r)?.map(|body| match body {
        Ok(bytes) => decode(&bytes),
        Err(why) => Frame::Invalid(error_value(Value::Null, ErrorCode::ParseError, why)),
    }))
}

/// The body of the next frame, or why its header is unusable; `Ok(None)` at
/// the end of the stream.
pub fn read_body(r: &mut impl BufRead) -> Result<Option<Result<Vec<u8>, &'static str>>, String> {
    let mut length: Option<usize> = None;
    let mut any = false;
    loop {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .map_err(|e| format!("cannot read a header: {e}"))?;
        if n == 0 {
            return if any {
                Err("the stream ended inside a header".to_string())
            } else {
                Ok(None)
            };
        }
        any = true;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Ok(Some(Err("a header line without `:`")));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok();
        }
    }
    let Some(length) = length else {
        return Ok(Some(Err("no valid Content-Length header")));
    };
    if length > MAX_MESSAGE {
        return Err(format!("a message of {length} bytes is over the limit"));
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)
        .map_err(|e| format!("cannot read a message: {e}"))?;
    Ok(Some(Ok(body)))
}

/// A message from its bytes, or the error response it deserves.
fn decode(body: &[u8]) -> Frame {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Frame::Invalid(error_value(
                Value::Null,
                ErrorCode::ParseError,
                &format!("not JSON: {e}"),
            ));
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    let valid_id = matches!(id, Value::Null | Value::Number(_) | Value::String(_));
    let has_method = value.get("method").is_some_and(Value::is_string);
    if !value.is_object() || !valid_id || (!has_method && value.get("id").is_none()) {
        return Frame::Invalid(error_value(
            if valid_id { id } else { Value::Null },
            ErrorCode::InvalidRequest,
            "not a JSON-RPC request, response or notification",
        ));
    }
    match serde_json::from_value::<Message>(value) {
        Ok(m) => Frame::Message(m),
        Err(e) => Frame::Invalid(error_value(
            if valid_id { id } else { Value::Null },
            ErrorCode::InvalidRequest,
            &format!("not a valid JSON-RPC message: {e}"),
        )),
    }
}

/// A JSON-RPC error response.
pub fn error_value(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code as i32, "message": message}})
}

/// Writes one framed message.
pub fn write(w: &mut impl Write, value: &Value) -> std::io::Result<()> {
    let body = serde_json::to_string(value).unwrap_or_default();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Result<Option<String>, String>> {
        let mut r = std::io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            match read(&mut r) {
                Ok(None) => break,
                Ok(Some(Frame::Message(m))) => {
                    out.push(Ok(Some(serde_json::to_string(&m).unwrap_or_default())))
                }
                Ok(Some(Frame::Invalid(v))) => out.push(Ok(Some(v.to_string()))),
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn malformed_frames_are_answered_and_reading_goes_on() {
        let good = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{oops\
             Content-Length: 2\r\n\r\n[]\
             Content-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let got = frames(&input);
        assert_eq!(got.len(), 3);
        assert!(matches!(&got[0], Ok(Some(s)) if s.contains("-32700")));
        assert!(matches!(&got[1], Ok(Some(s)) if s.contains("-32600")));
        assert!(matches!(&got[2], Ok(Some(s)) if s.contains("exit")));
    }

    #[test]
    fn a_truncated_body_ends_the_stream() {
        let got = frames("Content-Length: 50\r\n\r\n{}");
        assert!(matches!(got.as_slice(), [Err(_)]));
    }
}
