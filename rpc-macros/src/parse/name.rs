//! The names of one RPC method, kept apart: the Rust name (the method's
//! identifier, which generated code calls), and each name callers use,
//! which keeps its base (the identifier or the `name`/`alias` literal) apart
//! from the full name the service's namespace makes of it. serde_derive
//! keeps a field's Rust name and its serialized names apart the same way
//! (`internals/name.rs`).
//!
//! Checks and generators ask these types for the form they need, so no one
//! takes a full name apart again to find its base.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

use crate::constants::NAMESPACE_SEPARATOR;

/// Every name of one method: the Rust identifier, the name it is served
/// under and its aliases.
pub(crate) struct MethodName {
    rust: Ident,
    served: ServedName,
    aliases: Vec<ServedName>,
}

impl MethodName {
    /// The names of the method `ident`, renamed to `rename` if given, with
    /// `aliases`, all under `namespace` if the service has one.
    pub(crate) fn new(
        namespace: Option<&LitStr>,
        ident: &Ident,
        rename: Option<&LitStr>,
        aliases: &[LitStr],
    ) -> Self {
        let namespace = namespace.map(LitStr::value);
        let namespace = namespace.as_deref();
        let served = match rename {
            Some(lit) => ServedName::from_lit(namespace, lit),
            // `r#type` is served as `type`.
            None => ServedName::new(
                namespace,
                ident.unraw().to_string(),
                ident.to_token_stream(),
            ),
        };
        MethodName {
            rust: ident.clone(),
            served,
            aliases: aliases
                .iter()
                .map(|lit| ServedName::from_lit(namespace, lit))
                .collect(),
        }
    }

    /// The method's identifier, as the user wrote it (with its span).
    pub(crate) fn rust(&self) -> &Ident {
        &self.rust
    }

    /// The name the method is served under.
    pub(crate) fn served(&self) -> &ServedName {
        &self.served
    }

    /// The other names it answers to, in the order written.
    pub(crate) fn aliases(&self) -> &[ServedName] {
        &self.aliases
    }

    /// The served name, then every alias.
    pub(crate) fn all(&self) -> impl Iterator<Item = &ServedName> {
        std::iter::once(&self.served).chain(&self.aliases)
    }
}

/// One name callers use: its base as written and its full form.
pub(crate) struct ServedName {
    /// As written: the identifier without `r#`, or the literal's value.
    base: String,
    /// The base under the namespace (`math.add`), or the base alone.
    full: String,
    /// The tokens that wrote it (the identifier or the literal), for errors.
    tokens: TokenStream,
}

impl ServedName {
    fn new(namespace: Option<&str>, base: String, tokens: TokenStream) -> Self {
        let full = match namespace {
            Some(namespace) => format!("{namespace}{NAMESPACE_SEPARATOR}{base}"),
            None => base.clone(),
        };
        ServedName { base, full, tokens }
    }

    pub(crate) fn from_lit(namespace: Option<&str>, lit: &LitStr) -> Self {
        ServedName::new(namespace, lit.value(), lit.to_token_stream())
    }

    /// The name a request carries: the namespace applied.
    pub(crate) fn full(&self) -> &str {
        &self.full
    }

    /// The name as the user wrote it, before the namespace (what `name = "..."` takes).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The tokens that wrote the name, to point errors at.
    pub(crate) fn tokens(&self) -> &TokenStream {
        &self.tokens
    }

    /// Whether nothing follows the name's last separator: `""`, `"math."`,
    /// or `""` under a namespace.
    pub(crate) fn is_empty(&self) -> bool {
        self.base.is_empty() || self.base.ends_with(NAMESPACE_SEPARATOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(value: &str) -> LitStr {
        LitStr::new(value, proc_macro2::Span::call_site())
    }

    fn ident(text: &str) -> Ident {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn the_identifier_is_the_name_without_a_rename() {
        let name = MethodName::new(None, &ident("add"), None, &[]);
        assert_eq!(name.rust(), "add");
        assert_eq!(name.served().base(), "add");
        assert_eq!(name.served().full(), "add");
        assert_eq!(name.served().tokens().to_string(), "add");
    }

    #[test]
    fn a_raw_identifier_is_served_without_its_prefix() {
        let name = MethodName::new(None, &ident("r#type"), None, &[]);
        assert_eq!(name.rust(), "r#type");
        assert_eq!(name.served().full(), "type");
    }

    #[test]
    fn the_namespace_goes_before_the_name_and_every_alias() {
        let namespace = lit("math");
        let rename = lit("sum");
        let name = MethodName::new(
            Some(&namespace),
            &ident("add"),
            Some(&rename),
            &[lit("plus"), lit("obj.plus")],
        );
        assert_eq!(name.rust(), "add");
        assert_eq!(name.served().base(), "sum");
        assert_eq!(name.served().full(), "math.sum");
        assert_eq!(name.served().tokens().to_string(), "\"sum\"");
        let all: Vec<(&str, &str)> = name.all().map(|n| (n.base(), n.full())).collect();
        assert_eq!(
            all,
            [
                ("sum", "math.sum"),
                ("plus", "math.plus"),
                ("obj.plus", "math.obj.plus")
            ]
        );
        assert_eq!(name.aliases().len(), 2);
    }

    #[test]
    fn a_name_is_empty_when_nothing_follows_its_last_separator() {
        let namespace = lit("math");
        let empty = |namespace: Option<&LitStr>, rename: &str| {
            MethodName::new(namespace, &ident("add"), Some(&lit(rename)), &[])
                .served()
                .is_empty()
        };
        assert!(empty(None, ""));
        assert!(empty(None, "obj."));
        assert!(empty(Some(&namespace), ""));
        assert!(empty(Some(&namespace), "obj."));
        assert!(!empty(None, "add"));
        assert!(!empty(Some(&namespace), "obj.add"));
    }
}
