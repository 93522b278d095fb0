//! Telling answers (to calls this end made) from requests on a connection
//! where both ends call each other.

/// Whether `message` is an answer, or a batch of answers: its (first) object
/// names `result` or `error` before it names `method`. Only the leading
/// members are read: a request names `method` early, an answer `result` or
/// `error`, so the scan usually stops within a few dozen bytes.
///
/// Anything else (requests, and text that is not JSON) is for the router,
/// which answers what it cannot read.
pub(crate) fn is_answer(message: &[u8]) -> bool {
    let mut scan = Scan {
        bytes: message,
        at: 0,
    };
    if scan.next() == Some(b'[') {
        scan.at += 1;
    }
    if scan.next() != Some(b'{') {
        return false;
    }
    scan.at += 1;
    loop {
        if scan.next() != Some(b'"') {
            return false;
        }
        let Some(name) = scan.string() else {
            return false;
        };
        match name {
            b"method" => return false,
            b"result" | b"error" => return true,
            _ => {}
        }
        if scan.next() != Some(b':') {
            return false;
        }
        scan.at += 1;
        if !scan.skip_value() || scan.next() != Some(b',') {
            return false;
        }
        scan.at += 1;
    }
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    /// The next byte after whitespace, not consumed.
    fn next(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
        self.bytes.get(self.at).copied()
    }

    /// A string's raw inside (escapes left as they are); the scan is at its
    /// opening quote and ends past the closing one.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.at + 1;
        let mut end = start;
        loop {
            match *self.bytes.get(end)? {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        self.at = end + 1;
        self.bytes.get(start..end)
    }

    /// Skips one value of any kind, nested ones included; `false` on text
    /// that ends first.
    fn skip_value(&mut self) -> bool {
        match self.next() {
            None => false,
            Some(b'"') => self.string().is_some(),
            Some(b'[' | b'{') => {
                let mut depth = 0usize;
                loop {
                    match self.bytes.get(self.at) {
                        None => return false,
                        Some(b'"') => {
                            if self.string().is_none() {
                                return false;
                            }
                            continue;
                        }
                        Some(b'[' | b'{') => depth += 1,
                        Some(b']' | b'}') => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return true;
                            }
                        }
                        Some(_) => {}
                    }
                    self.at += 1;
                }
            }
            Some(_) => {
                while !matches!(
                    self.bytes.get(self.at),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    self.at += 1;
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_answer;

    #[test]
    fn answers_and_requests_are_told_apart_by_their_leading_members() {
        for answer in [
            r#"{"jsonrpc":"2.0","result":1,"id":1}"#,
            r#" {"id":1,"jsonrpc":"2.0","error":{"code":1,"message":"m"}}"#,
            r#"[{"jsonrpc":"2.0","result":{"method":"x"},"id":1}]"#,
            r#"{"id":"a\"b","x":[1,{"y":"]"}],"result":null}"#,
        ] {
            assert!(is_answer(answer.as_bytes()), "{answer}");
            // The connection asks the router first: it must not take an answer for a request.
            let router = crate::Router::new();
            assert!(router.parse(answer.as_bytes()).may_be_answer(), "{answer}");
        }
        for answer in [
            r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#,
            r#"[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","result":2,"id":2}]"#,
        ] {
            assert!(
                is_answer(answer.as_bytes())
                    && crate::Router::new()
                        .parse(answer.as_bytes())
                        .may_be_answer()
            );
        }
        for request in [
            r#"{"jsonrpc":"2.0","method":"result","id":1}"#,
            r#"{"id":1,"params":{"result":1},"method":"m"}"#,
            r#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","result":1,"id":1}]"#,
            r#"{"jsonrpc":"2.0""#,
            "not json",
            "[]",
            "{}",
            r#"{"jsonrpc":"2.0","id":1}"#,
        ] {
            assert!(!is_answer(request.as_bytes()), "{request}");
        }
    }
}
