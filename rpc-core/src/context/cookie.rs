//! Cookies a method asks the transport to set.
//!
//! They live here rather than in a transport crate so that a method can set
//! one through its [`Context`](crate::Context) without depending on any
//! transport: the value is plain data, and the `Set-Cookie` text it renders
//! to is defined by RFC 6265 alone. A transport that carries headers with
//! its answers (HTTP) sends them; one that has none to carry (a WebSocket
//! connection after its upgrade, the in-process transport) drops them.

use std::fmt;

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level navigations.
    Lax,
    /// Sent with all requests; browsers require `Secure` with it.
    None,
}

/// A cookie for the transport to set, with its attributes.
///
/// Characters that may not appear in a cookie (`;`, `,`, spaces, quotes,
/// backslashes, control and non-ASCII characters) are percent-encoded when
/// the header is written, so no value can break out of its header.
///
/// ```
/// use rpc_core::{Cookie, SameSite};
///
/// let cookie = Cookie::new("id", "a b;c")
///     .path("/api")
///     .max_age(3600)
///     .secure(true)
///     .same_site(SameSite::Strict);
/// assert_eq!(cookie.to_string(), "id=a%20b%3Bc; Path=/api; Max-Age=3600; Secure; SameSite=Strict");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl Cookie {
    /// A session cookie with no attributes.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            path: None,
            domain: None,
            max_age: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// A cookie that tells the client to delete `name` (empty value, `Max-Age=0`).
    pub fn removal(name: impl Into<String>) -> Self {
        Self::new(name, "").max_age(0)
    }

    /// The `Path` attribute.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The `Domain` attribute.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Max-Age` attribute, in seconds.
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The `Secure` attribute.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute.
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Cookie {
    /// Writes the value of a `Set-Cookie` header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_encoded(f, &self.name, is_token_char)?;
        f.write_str("=")?;
        write_encoded(f, &self.value, is_cookie_octet)?;
        if let Some(path) = &self.path {
            f.write_str("; Path=")?;
            write_encoded(f, path, is_attribute_char)?;
        }
        if let Some(domain) = &self.domain {
            f.write_str("; Domain=")?;
            write_encoded(f, domain, is_attribute_char)?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "; Max-Age={max_age}")?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        match self.same_site {
            Some(SameSite::Strict) => f.write_str("; SameSite=Strict")?,
            Some(SameSite::Lax) => f.write_str("; SameSite=Lax")?,
            Some(SameSite::None) => f.write_str("; SameSite=None")?,
            None => {}
        }
        Ok(())
    }
}

fn write_encoded(f: &mut fmt::Formatter<'_>, text: &str, allowed: fn(u8) -> bool) -> fmt::Result {
    for &byte in text.as_bytes() {
        if allowed(byte) && byte != b'%' {
            f.write_str(std::str::from_utf8(&[byte]).map_err(|_| fmt::Error)?)?;
        } else {
            write!(f, "%{byte:02X}")?;
        }
    }
    Ok(())
}

/// RFC 6265 cookie-octet.
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// RFC 7230 tchar.
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&byte)
}

/// Any visible ASCII but `;`.
fn is_attribute_char(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte) && byte != b';'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_text_cannot_break_out_of_its_header() {
        let cookie = Cookie::new("a;b", "x\r\nSet-Cookie: evil=1")
            .path("/;x")
            .domain("é");
        let text = cookie.to_string();
        assert!(!text.contains('\r') && !text.contains('\n'));
        assert_eq!(
            text,
            "a%3Bb=x%0D%0ASet-Cookie:%20evil=1; Path=/%3Bx; Domain=%C3%A9"
        );
    }
}
