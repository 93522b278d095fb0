//! The rules a service must follow, one function each. Every rule reports at
//! the user's tokens and never stops the others from running.

use std::collections::{HashMap, HashSet};

use crate::constants::{MAX_PARAMS, RESERVED_PREFIX};
use crate::ctxt::Ctxt;
use crate::parse::model::{Arg, Method, Receiver, Service};
use crate::parse::Input;
use crate::types::{borrows, mentions_self};

pub(crate) fn check(cx: &Ctxt, service: &Service<'_>) {
    check_container(cx, service);
    for method in &service.methods {
        check_receiver(cx, method);
        check_generics(cx, method);
        check_qualifiers(cx, method);
        check_args(cx, method);
        check_blocking(cx, method);
        check_flatten(cx, method);
        check_names(cx, method);
        check_generated_names(cx, method);
        check_types_are_concrete(cx, method);
        check_subscription(cx, method);
    }
    check_unique_names(cx, service);
}

/// `#[rpc]` goes on a trait declaration or an inherent impl; a trait impl
/// needs no attribute, and generic traits and impls cannot be served.
fn check_container(cx: &Ctxt, service: &Service<'_>) {
    match service.input {
        Input::Impl(item) => {
            if let Some((_, path, _)) = &item.trait_ {
                cx.error_spanned_by(
                    path,
                    "put #[rpc] on the trait declaration; implementations of an #[rpc] trait need no attribute",
                );
            }
            if !item.generics.params.is_empty() {
                cx.error_spanned_by(
                    &item.generics,
                    "generic impl blocks are not supported: the client and the listing need concrete types; \
                     serve a concrete type, or declare the interface as an #[rpc] trait",
                );
            }
        }
        Input::Trait(item) => {
            if !item.generics.params.is_empty() {
                cx.error_spanned_by(&item.generics, "generic #[rpc] traits are not supported");
            }
        }
    }
}

/// Methods take `&self`: one service value serves concurrent calls.
fn check_receiver(cx: &Ctxt, method: &Method<'_>) {
    let Some(receiver) = method.sig.inputs.first() else {
        return;
    };
    let message = match method.receiver {
        Receiver::Ref => return,
        Receiver::RefMut => {
            "RPC methods take `&self`, not `&mut self`: one service serves concurrent calls; keep mutable state behind a Mutex or atomics"
        }
        Receiver::Value => "RPC methods take `&self`, not `self`: one service value serves every call",
        Receiver::Typed => "RPC methods take `&self`; typed receivers such as `self: Arc<Self>` are not supported",
    };
    cx.error_spanned_by(receiver, message);
}

/// Every parameter type must be known to decode it, so methods cannot be
/// generic over types or constants. Lifetimes are fine: a result that
/// borrows from the arguments (`fn echo<'a>(&self, text: &'a str) -> &'a str`)
/// is written out before they are dropped.
fn check_generics(cx: &Ctxt, method: &Method<'_>) {
    let generics = &method.sig.generics;
    if let Some(param) = generics
        .params
        .iter()
        .find(|param| !matches!(param, syn::GenericParam::Lifetime(_)))
    {
        cx.error_spanned_by(
            param,
            "RPC methods cannot be generic over types or constants: every parameter's type must be known to decode it (lifetime parameters are fine)",
        );
    } else if !generics.params.is_empty() && method.attrs.blocking.is_some() {
        cx.error_spanned_by(
            generics,
            "a blocking method runs on another thread, so it cannot borrow from its arguments: remove the lifetime parameters",
        );
    }
}

/// `const`, `unsafe`, `extern` and variadic functions cannot be called from generated code safely.
fn check_qualifiers(cx: &Ctxt, method: &Method<'_>) {
    let sig = method.sig;
    if let Some(token) = &sig.constness {
        cx.error_spanned_by(token, "RPC methods cannot be `const fn`");
    }
    if let Some(token) = &sig.unsafety {
        cx.error_spanned_by(
            token,
            "RPC methods cannot be `unsafe`: remote callers cannot uphold its contract",
        );
    }
    if let Some(abi) = &sig.abi {
        cx.error_spanned_by(abi, "RPC methods cannot be `extern`");
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(variadic, "RPC methods cannot be variadic");
    }
}

/// Parameters have plain names and decodable types, there are at most
/// [`MAX_PARAMS`] of them, names are unique, and the context (at most one,
/// marked `#[rpc(context)]` or taken as `&Context`) is taken by shared
/// reference and takes no other key. That its type really is
/// `&rpc_core::Context` is checked by the generated code.
fn check_args(cx: &Ctxt, method: &Method<'_>) {
    let mut names: HashMap<&str, String> = HashMap::new();
    let mut contexts = 0;
    let mut params = 0;
    for arg in &method.args {
        match arg {
            Arg::Unsupported { original, reason } => cx.error_spanned_by(original, reason),
            Arg::Context {
                original,
                by_ref,
                mutable,
                other_key,
                ..
            } => {
                if let Some(span) = other_key {
                    cx.syn_error(syn::Error::new(
                        *span,
                        "the context parameter takes no rpc attribute but `context`",
                    ));
                }
                contexts += 1;
                if contexts > 1 {
                    cx.error_spanned_by(original, "a method takes the context once");
                } else if !by_ref {
                    cx.error_spanned_by(
                        original,
                        "take the context by reference: `&rpc_core::Context`",
                    );
                } else if *mutable {
                    cx.error_spanned_by(
                        original,
                        "take the context as `&Context`: the entries of a batch share it; its setters take `&self`",
                    );
                }
            }
            Arg::Param(param) => {
                params += 1;
                if params == MAX_PARAMS + 1 {
                    cx.error_spanned_by(
                        param.original,
                        format!("RPC methods take at most {MAX_PARAMS} parameters; group them in a struct"),
                    );
                }
                if let Some(first) = names.insert(&param.name, param.ident.to_string()) {
                    cx.error_spanned_by(
                        &param.name_tokens,
                        format!(
                            "parameter `{}` takes the name `{}`, which parameter `{first}` already has",
                            param.ident, param.name
                        ),
                    );
                }
                if param.name.is_empty() {
                    cx.error_spanned_by(&param.name_tokens, "parameter names may not be empty");
                }
            }
        }
    }
}

/// `blocking` moves a synchronous method to the blocking pool; an `async fn`
/// has no use for it, and the context cannot cross to that thread.
fn check_blocking(cx: &Ctxt, method: &Method<'_>) {
    let Some(blocking) = &method.attrs.blocking else {
        return;
    };
    for param in method.params() {
        if borrows(param.ty) {
            cx.error_spanned_by(
                param.ty,
                "a blocking method runs on another thread, so its parameters are owned: `String`, not `&str`",
            );
        }
    }
    if method.is_async() {
        cx.error_spanned_by(
            blocking,
            "`blocking` is for synchronous methods; an `async fn` already runs without blocking the executor",
        );
    }
    if method.has_context() {
        cx.error_spanned_by(
            blocking,
            "a blocking method runs on another thread and cannot borrow the context; read what it needs in an async method",
        );
    }
}

/// A `flatten` parameter takes the whole `params` member, so it is the only
/// RPC parameter and has neither a name nor a default of its own.
fn check_flatten(cx: &Ctxt, method: &Method<'_>) {
    let Some(param) = method.flattened() else {
        return;
    };
    let flatten = param
        .flatten
        .as_ref()
        .expect("flattened() returns a flatten param");
    if method.params().count() > 1 {
        cx.error_spanned_by(
            flatten,
            "a `flatten` parameter takes the whole params member, so it must be the method's only RPC parameter",
        );
    }
    if param.default.is_some() {
        cx.error_spanned_by(
            flatten,
            "a `flatten` parameter cannot have a default; make its type an `Option`",
        );
    }
}

/// Names the generated client, batch and router glue take for themselves.
const GENERATED_NAMES: &[&str] = &[
    "new",
    "from_client",
    "client",
    "batch",
    "inner",
    "send",
    "into_router",
    "router_from_arc",
];

/// Whether the method's Rust name is one the generated code takes.
pub(crate) fn is_generated_name(method: &Method<'_>) -> bool {
    let ident = method.name.rust();
    GENERATED_NAMES.iter().any(|name| ident == name)
}

/// A Rust method may not take a name the generated code uses; the RPC name
/// is free, so the fix is a rename with `#[rpc(name = "...")]`.
fn check_generated_names(cx: &Ctxt, method: &Method<'_>) {
    let ident = method.name.rust();
    if is_generated_name(method) {
        cx.error_spanned_by(
            ident,
            format!(
                "`{ident}` is taken by the generated client or router; rename the Rust method and keep the RPC name with `#[rpc(name = \"{}\")]`",
                method.name.served().base()
            ),
        );
    }
}

/// The client and the listing are written outside the impl or trait, where
/// `Self` means something else and `impl Trait` has no meaning: parameter
/// and return types must be concrete.
fn check_types_are_concrete(cx: &Ctxt, method: &Method<'_>) {
    for param in method.params() {
        if mentions_self(param.ty) {
            cx.error_spanned_by(
                param.ty,
                "RPC parameter types cannot mention `Self`; write the concrete type",
            );
        }
    }
    if let syn::ReturnType::Type(_, ty) = &method.sig.output {
        if matches!(**ty, syn::Type::ImplTrait(_)) {
            cx.error_spanned_by(ty, "RPC methods return a concrete type (write `async fn` for futures), not `impl Trait`");
        } else if mentions_self(ty) {
            cx.error_spanned_by(
                ty,
                "RPC return types cannot mention `Self`; write the concrete type",
            );
        }
    }
}

/// Names are non-empty (something follows the last separator) and stay out
/// of the reserved `rpc.` prefix.
fn check_names(cx: &Ctxt, method: &Method<'_>) {
    for name in method.served_names() {
        if name.is_empty() {
            cx.error_spanned_by(name.tokens(), "method names may not be empty");
        } else if name.full().starts_with(RESERVED_PREFIX) {
            cx.error_spanned_by(
                name.tokens(),
                format!(
                    "`{}` starts with `{RESERVED_PREFIX}`, which JSON-RPC reserves for system methods",
                    name.full()
                ),
            );
        }
    }
}

/// Every name and alias of a service is unique; the second use is the error.
fn check_unique_names(cx: &Ctxt, service: &Service<'_>) {
    // What already holds each name, said the way the error names it.
    let mut holders: HashMap<&str, String> = HashMap::new();
    for method in &service.methods {
        let owner = method.name.rust().to_string();
        let unsubscribe = method
            .subscription
            .as_ref()
            .and_then(|subscription| subscription.unsubscribe.as_ref());
        let mut own = HashSet::new();
        for name in method.served_names() {
            let full = name.full();
            if !own.insert(full) {
                cx.error_spanned_by(
                    name.tokens(),
                    format!("method `{owner}` lists the name `{full}` twice"),
                );
                continue;
            }
            let is_unsubscribe = unsubscribe.is_some_and(|stop| std::ptr::eq(stop, name));
            let holder = if is_unsubscribe {
                format!("the method that ends `{owner}`'s subscriptions")
            } else {
                format!("the name of method `{owner}`")
            };
            if let Some(first) = holders.insert(full, holder) {
                let user = if is_unsubscribe {
                    format!("`{owner}`'s unsubscribe method")
                } else {
                    format!("method `{owner}`")
                };
                cx.error_spanned_by(
                    name.tokens(),
                    format!("{user} answers to `{full}`, which is already {first}"),
                );
            }
        }
    }
}

/// A subscription method names the notification of its items and the
/// method that ends it, returns a `Subscription<T>`, and is called (not
/// notified, not run on the blocking pool).
fn check_subscription(cx: &Ctxt, method: &Method<'_>) {
    let Some(subscription) = &method.subscription else {
        if let Some(unsubscribe) = &method.attrs.unsubscribe {
            cx.error_spanned_by(
                unsubscribe,
                "`unsubscribe` names the method that ends a subscription; it goes with `subscription = \"...\"`",
            );
        }
        return;
    };
    let notification = &subscription.notification;
    if notification.value().is_empty() {
        cx.error_spanned_by(notification, "the notification name may not be empty");
    }
    if subscription.unsubscribe.is_none() {
        cx.error_spanned_by(
            notification,
            "a subscription method names the method that ends it: add `unsubscribe = \"...\"`",
        );
    }
    if subscription.item.is_none() {
        let span = match &method.sig.output {
            syn::ReturnType::Type(_, ty) => quote::ToTokens::to_token_stream(ty),
            syn::ReturnType::Default => quote::ToTokens::to_token_stream(method.name.rust()),
        };
        cx.error_spanned_by(
            span,
            "a subscription method returns `rpc_core::Subscription<T>` (or a `Result` of one): the items it sends",
        );
    }
    if method.attrs.notification {
        cx.error_spanned_by(
            notification,
            "a subscription answers with its id, so it cannot be a `notification`",
        );
    }
    if let Some(blocking) = &method.attrs.blocking {
        cx.error_spanned_by(
            blocking,
            "a subscription starts on its caller's connection, so it cannot run on the blocking pool",
        );
    }
}
