//! Every keyword the attribute understands, in one place.

use std::fmt;

use syn::{Ident, Path};

#[derive(Copy, Clone)]
pub(crate) struct Symbol(pub(crate) &'static str);

// Container keys.
pub(crate) const NAMESPACE: Symbol = Symbol("namespace");
pub(crate) const CRATE: Symbol = Symbol("crate");
pub(crate) const CLIENT: Symbol = Symbol("client");
pub(crate) const ALLOW_UNKNOWN_PARAMS: Symbol = Symbol("allow_unknown_params");
pub(crate) const PARAMS: Symbol = Symbol("params");
pub(crate) const GUARD: Symbol = Symbol("guard");

// Method keys (`PARAMS` too).
pub(crate) const NAME: Symbol = Symbol("name");
pub(crate) const ALIAS: Symbol = Symbol("alias");
pub(crate) const NOTIFICATION: Symbol = Symbol("notification");
pub(crate) const BLOCKING: Symbol = Symbol("blocking");
pub(crate) const SKIP: Symbol = Symbol("skip");
pub(crate) const SUBSCRIPTION: Symbol = Symbol("subscription");
pub(crate) const UNSUBSCRIBE: Symbol = Symbol("unsubscribe");
pub(crate) const ERRORS: Symbol = Symbol("errors");

// Parameter keys (`NAME` too).
pub(crate) const DEFAULT: Symbol = Symbol("default");
pub(crate) const FLATTEN: Symbol = Symbol("flatten");
pub(crate) const CONTEXT: Symbol = Symbol("context");

/// The attribute's own name, on methods and parameters.
pub(crate) const RPC: Symbol = Symbol("rpc");

pub(crate) const CONTAINER_KEYS: &[Symbol] = &[
    NAMESPACE,
    CRATE,
    CLIENT,
    ALLOW_UNKNOWN_PARAMS,
    PARAMS,
    GUARD,
];
pub(crate) const METHOD_KEYS: &[Symbol] = &[
    NAME,
    ALIAS,
    NOTIFICATION,
    BLOCKING,
    SKIP,
    PARAMS,
    GUARD,
    SUBSCRIPTION,
    UNSUBSCRIBE,
    ERRORS,
];
pub(crate) const PARAM_KEYS: &[Symbol] = &[NAME, DEFAULT, FLATTEN, CONTEXT];

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// "`a`, `b`, `c`" for error messages.
pub(crate) fn list(keys: &[Symbol]) -> String {
    keys.iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
