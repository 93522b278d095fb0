//! The arguments of `#[rpc(...)]` on the container, its methods and their parameters.
//!
//! Every key is parsed with `parse_nested_meta`. An unknown key is reported
//! at the key with the list of allowed ones, a repeated key at its second
//! use, and parsing goes on so that every mistake shows in one compile.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Attribute, Expr, ExprArray, Ident, Lit, LitStr, Path, Token};

use crate::ctxt::Ctxt;
use crate::symbol::{self, Symbol};

/// One attribute value, remembering where it was first set.
pub(crate) struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: Symbol,
    tokens: TokenStream,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Attr {
            cx,
            name,
            tokens: TokenStream::new(),
            value: None,
        }
    }

    fn set<A: ToTokens>(&mut self, obj: A, value: T) {
        let tokens = obj.into_token_stream();
        if self.value.is_some() {
            self.cx
                .error_spanned_by(tokens, format!("duplicate rpc attribute `{}`", self.name));
        } else {
            self.tokens = tokens;
            self.value = Some(value);
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }

    fn get_with_tokens(self) -> Option<(TokenStream, T)> {
        match self.value {
            Some(value) => Some((self.tokens, value)),
            None => None,
        }
    }
}

/// How the generated client sends params.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ParamStyle {
    Positional,
    Named,
}

/// `#[rpc(namespace = "...", crate = "...", client = "...", allow_unknown_params, params = "named", guard = expr)]`
pub(crate) struct ContainerAttrs {
    pub(crate) namespace: Option<LitStr>,
    pub(crate) crate_path: Option<Path>,
    pub(crate) client: Option<Ident>,
    pub(crate) allow_unknown_params: bool,
    pub(crate) params: ParamStyle,
    /// Guards every method runs first, in order.
    pub(crate) guards: Vec<Expr>,
}

impl ContainerAttrs {
    pub(crate) fn from_args(cx: &Ctxt, args: TokenStream) -> Self {
        let mut namespace = Attr::none(cx, symbol::NAMESPACE);
        let mut crate_path = Attr::none(cx, symbol::CRATE);
        let mut client = Attr::none(cx, symbol::CLIENT);
        let mut allow_unknown = Attr::none(cx, symbol::ALLOW_UNKNOWN_PARAMS);
        let mut params = Attr::none(cx, symbol::PARAMS);
        let mut guards = Attr::none(cx, symbol::GUARD);

        let parser = syn::meta::parser(|meta| {
            if meta.path == symbol::NAMESPACE {
                let lit = string_value(&meta)?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "the namespace may not be empty");
                }
                namespace.set(&meta.path, lit);
            } else if meta.path == symbol::CRATE {
                let lit = string_value(&meta)?;
                match lit.parse::<Path>() {
                    Ok(path) => crate_path.set(&meta.path, path),
                    Err(_) => cx.error_spanned_by(
                        &lit,
                        "expected a path, such as `crate = \"::rpc_core\"`",
                    ),
                }
            } else if meta.path == symbol::CLIENT {
                let lit = string_value(&meta)?;
                match lit.parse::<Ident>() {
                    Ok(ident) => client.set(&meta.path, ident),
                    Err(_) => cx.error_spanned_by(
                        &lit,
                        "expected a type name, such as `client = \"MathClient\"`",
                    ),
                }
            } else if meta.path == symbol::ALLOW_UNKNOWN_PARAMS {
                allow_unknown.set(&meta.path, ());
            } else if meta.path == symbol::PARAMS {
                params.set(&meta.path, param_style(cx, &meta)?);
            } else if meta.path == symbol::GUARD {
                guards.set(&meta.path, expr_list(&meta)?);
            } else {
                unknown_key(cx, &meta, symbol::CONTAINER_KEYS)?;
            }
            Ok(())
        });
        if let Err(err) = parser.parse2(args) {
            cx.syn_error(err);
        }

        ContainerAttrs {
            namespace: namespace.get(),
            crate_path: crate_path.get(),
            client: client.get(),
            allow_unknown_params: allow_unknown.get().is_some(),
            params: params.get().unwrap_or(ParamStyle::Positional),
            guards: guards.get().unwrap_or_default(),
        }
    }
}

/// `#[rpc(name = "...", alias = [...], notification, blocking, skip, params = "named",
/// guard = expr, subscription = "...", unsubscribe = "...", errors = [..])]` on a method.
pub(crate) struct MethodAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) aliases: Vec<LitStr>,
    pub(crate) notification: bool,
    /// The `blocking` key's tokens, for errors that concern it.
    pub(crate) blocking: Option<TokenStream>,
    pub(crate) skip: Option<TokenStream>,
    pub(crate) params: Option<ParamStyle>,
    /// Guards the method runs first (after the service's), in order.
    pub(crate) guards: Vec<Expr>,
    /// `subscription = "ticks"`: the method answers with a subscription id,
    /// and its items follow as `ticks` notifications.
    pub(crate) subscription: Option<LitStr>,
    /// `unsubscribe = "unsubscribe_ticks"`: the method that ends one.
    pub(crate) unsubscribe: Option<LitStr>,
    /// `errors = [OVERFLOW]`: the errors (`rpc_core::ErrorInfo` constants)
    /// the method declares, for the listing.
    pub(crate) errors: Vec<Expr>,
    /// Whether any key other than `skip` was given.
    pub(crate) any_but_skip: Option<Span>,
}

impl MethodAttrs {
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut name = Attr::none(cx, symbol::NAME);
        let mut aliases = Attr::none(cx, symbol::ALIAS);
        let mut notification = Attr::none(cx, symbol::NOTIFICATION);
        let mut blocking = Attr::none(cx, symbol::BLOCKING);
        let mut skip = Attr::none(cx, symbol::SKIP);
        let mut params = Attr::none(cx, symbol::PARAMS);
        let mut guards = Attr::none(cx, symbol::GUARD);
        let mut subscription = Attr::none(cx, symbol::SUBSCRIPTION);
        let mut unsubscribe = Attr::none(cx, symbol::UNSUBSCRIBE);
        let mut errors = Attr::none(cx, symbol::ERRORS);
        let mut any_but_skip = None;

        for attr in attrs.iter().filter(|attr| attr.path() == &symbol::RPC) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path != symbol::SKIP {
                    any_but_skip.get_or_insert(
                        meta.path
                            .require_ident()
                            .map_or_else(|_| Span::call_site(), Ident::span),
                    );
                }
                if meta.path == symbol::NAME {
                    let lit = string_value(&meta)?;
                    name.set(&meta.path, lit);
                } else if meta.path == symbol::ALIAS {
                    let list = string_list(&meta)?;
                    aliases.set(&meta.path, list);
                } else if meta.path == symbol::NOTIFICATION {
                    notification.set(&meta.path, ());
                } else if meta.path == symbol::BLOCKING {
                    blocking.set(&meta.path, ());
                } else if meta.path == symbol::SKIP {
                    skip.set(&meta.path, ());
                } else if meta.path == symbol::PARAMS {
                    params.set(&meta.path, param_style(cx, &meta)?);
                } else if meta.path == symbol::GUARD {
                    guards.set(&meta.path, expr_list(&meta)?);
                } else if meta.path == symbol::SUBSCRIPTION {
                    subscription.set(&meta.path, string_value(&meta)?);
                } else if meta.path == symbol::UNSUBSCRIBE {
                    unsubscribe.set(&meta.path, string_value(&meta)?);
                } else if meta.path == symbol::ERRORS {
                    errors.set(&meta.path, expr_list(&meta)?);
                } else {
                    unknown_key(cx, &meta, symbol::METHOD_KEYS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }

        MethodAttrs {
            name: name.get(),
            aliases: aliases.get().unwrap_or_default(),
            notification: notification.get().is_some(),
            blocking: blocking.get_with_tokens().map(|(tokens, ())| tokens),
            skip: skip.get_with_tokens().map(|(tokens, ())| tokens),
            params: params.get(),
            guards: guards.get().unwrap_or_default(),
            subscription: subscription.get(),
            unsubscribe: unsubscribe.get(),
            errors: errors.get().unwrap_or_default(),
            any_but_skip,
        }
    }
}

/// `#[rpc(name = "...", default)]`, `#[rpc(default = expr)]`, `#[rpc(flatten)]`
/// or `#[rpc(context)]` on a parameter.
pub(crate) struct ParamAttrs {
    pub(crate) name: Option<LitStr>,
    /// The `flatten` key's tokens: the parameter takes the whole `params` member.
    pub(crate) flatten: Option<TokenStream>,
    /// `Some(None)` for `default`, `Some(Some(expr))` for `default = expr`.
    pub(crate) default: Option<Option<Expr>>,
    /// The `context` key's tokens: the parameter receives the request context.
    pub(crate) context: Option<TokenStream>,
    /// Where the first key other than `context` was given, if any.
    pub(crate) any_but_context: Option<Span>,
}

impl ParamAttrs {
    pub(crate) fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut name = Attr::none(cx, symbol::NAME);
        let mut default = Attr::none(cx, symbol::DEFAULT);
        let mut flatten = Attr::none(cx, symbol::FLATTEN);
        let mut context = Attr::none(cx, symbol::CONTEXT);
        let mut any_but_context = None;
        for attr in attrs.iter().filter(|attr| attr.path() == &symbol::RPC) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path != symbol::CONTEXT {
                    any_but_context.get_or_insert(
                        meta.path
                            .require_ident()
                            .map_or_else(|_| Span::call_site(), Ident::span),
                    );
                }
                if meta.path == symbol::NAME {
                    let lit = string_value(&meta)?;
                    name.set(&meta.path, lit);
                } else if meta.path == symbol::DEFAULT {
                    let value = if meta.input.peek(Token![=]) {
                        Some(meta.value()?.parse::<Expr>()?)
                    } else {
                        None
                    };
                    default.set(&meta.path, value);
                } else if meta.path == symbol::FLATTEN {
                    flatten.set(&meta.path, ());
                } else if meta.path == symbol::CONTEXT {
                    context.set(&meta.path, ());
                } else {
                    unknown_key(cx, &meta, symbol::PARAM_KEYS)?;
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        ParamAttrs {
            name: name.get(),
            flatten: flatten.get_with_tokens().map(|(tokens, ())| tokens),
            default: default.get(),
            context: context.get_with_tokens().map(|(tokens, ())| tokens),
            any_but_context,
        }
    }
}

/// Reports an unknown key with the allowed ones, and skips its value so parsing goes on.
fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta<'_>, allowed: &[Symbol]) -> syn::Result<()> {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown rpc attribute `{key}`, expected one of: {}",
            symbol::list(allowed)
        ),
    );
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|nested| {
            if nested.input.peek(Token![=]) {
                nested.value()?.parse::<Expr>()?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let key = meta.path.to_token_stream().to_string();
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit),
        other => Err(syn::Error::new_spanned(
            other,
            format!("expected a string, as in `{key} = \"...\"`"),
        )),
    }
}

/// `guard = expr` or `guard = [expr, expr]`: each guard an expression.
fn expr_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Expr>> {
    Ok(match meta.value()?.parse::<Expr>()? {
        Expr::Array(ExprArray { elems, .. }) => elems.into_iter().collect(),
        single => vec![single],
    })
}

/// `alias = "a"` or `alias = ["a", "b"]`.
fn string_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let expr: Expr = meta.value()?.parse()?;
    let items = match expr {
        Expr::Array(ExprArray { elems, .. }) => elems.into_iter().collect(),
        single => vec![single],
    };
    items
        .into_iter()
        .map(|item| match item {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(lit), ..
            }) => Ok(lit),
            other => Err(syn::Error::new_spanned(
                other,
                "expected a string or a list of strings, as in `alias = [\"a\", \"b\"]`",
            )),
        })
        .collect()
}

fn param_style(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<ParamStyle> {
    let lit = string_value(meta)?;
    Ok(match lit.value().as_str() {
        "named" => ParamStyle::Named,
        "positional" => ParamStyle::Positional,
        _ => {
            cx.error_spanned_by(
                &lit,
                "expected `params = \"positional\"` or `params = \"named\"`",
            );
            ParamStyle::Positional
        }
    })
}

/// Whether an attribute is one of ours (to be removed from the emitted item).
pub(crate) fn is_rpc(attr: &Attribute) -> bool {
    attr.path() == &symbol::RPC
}
