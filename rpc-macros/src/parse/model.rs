//! The typed model of an `#[rpc]` service, built from the item. Building is
//! permissive (it records what is there); `check` judges it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, ToTokens};
use syn::ext::IdentExt;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ImplItem, ImplItemFn, ItemImpl, ItemTrait, Lit,
    LitStr, Meta, Pat, PathArguments, ReturnType, Signature, TraitItem, TraitItemFn, Type,
    Visibility,
};

use super::attr::{ContainerAttrs, MethodAttrs, ParamAttrs, ParamStyle};
use super::name::{MethodName, ServedName};
use super::Input;
use crate::ctxt::Ctxt;
use crate::types::{is_named_context, is_option};

/// A whole service: the methods of an impl block or a trait.
pub(crate) struct Service<'a> {
    pub(crate) input: &'a Input,
    /// The trait name, or the last identifier of the impl's self type.
    pub(crate) ident: Ident,
    pub(crate) client: Ident,
    pub(crate) vis: Visibility,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) methods: Vec<Method<'a>>,
}

/// One RPC method.
pub(crate) struct Method<'a> {
    pub(crate) sig: &'a Signature,
    pub(crate) original_attrs: &'a [Attribute],
    pub(crate) attrs: MethodAttrs,
    /// The Rust name, the name callers use and the aliases.
    pub(crate) name: MethodName,
    pub(crate) receiver: Receiver,
    pub(crate) args: Vec<Arg<'a>>,
    pub(crate) ret: Ret<'a>,
    pub(crate) docs: String,
    pub(crate) params_style: ParamStyle,
    /// Set for a subscription method (`subscription = "..."`).
    pub(crate) subscription: Option<Subscribe<'a>>,
}

/// What makes a method a subscription: the notification its items arrive
/// as, the method that ends one, and the item type.
pub(crate) struct Subscribe<'a> {
    /// The `subscription` literal: the method name of the item notifications.
    pub(crate) notification: LitStr,
    /// The `unsubscribe` method (namespace applied); `None` when not given (an error).
    pub(crate) unsubscribe: Option<ServedName>,
    /// `T` of the `Subscription<T>` returned; `None` when the return type is
    /// not one (an error).
    pub(crate) item: Option<&'a Type>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receiver {
    Ref,
    RefMut,
    Value,
    Typed,
}

/// An argument of the Rust method.
pub(crate) enum Arg<'a> {
    /// An RPC parameter.
    Param(Box<Param<'a>>),
    /// The request context: marked `#[rpc(context)]`, or taken as a
    /// reference to a type named `Context` (`&Context`, `&rpc_core::Context`).
    /// Generated code checks that the type really is `&rpc_core::Context`.
    Context {
        original: &'a FnArg,
        ty: &'a Type,
        by_ref: bool,
        mutable: bool,
        /// The `context` key's tokens; `None` when recognised by the type's name.
        marked: Option<TokenStream>,
        /// Where a key other than `context` was given, if one was.
        other_key: Option<Span>,
    },
    /// Something the model cannot use (a pattern, `impl Trait`): reported by `check`.
    Unsupported {
        original: &'a FnArg,
        reason: &'static str,
    },
}

/// One RPC parameter.
pub(crate) struct Param<'a> {
    pub(crate) original: &'a FnArg,
    pub(crate) ident: Ident,
    pub(crate) ty: &'a Type,
    /// The name in named params (the identifier, or the `name` attribute).
    pub(crate) name: String,
    pub(crate) name_tokens: TokenStream,
    /// Whether callers may leave it out: an `Option`, or a parameter with a default.
    pub(crate) optional: bool,
    /// `Some(None)`: `T::default()`; `Some(Some(expr))`: that expression.
    pub(crate) default: Option<Option<Expr>>,
    /// Set when the parameter takes the whole `params` member (`#[rpc(flatten)]`).
    pub(crate) flatten: Option<TokenStream>,
}

/// What the Rust method returns.
pub(crate) enum Ret<'a> {
    Unit,
    Plain(&'a Type),
    /// A `Result` (or `...Result` alias): the success type is the first
    /// argument; the error type is the second when it is written, where an
    /// error about it points (generated code infers it, so an alias such as
    /// `io::Result<T>` needs none).
    Result {
        ok: &'a Type,
        err: Option<&'a Type>,
        original: &'a Type,
    },
}

impl Ret<'_> {
    /// The type the caller receives.
    pub(crate) fn success(&self) -> TokenStream {
        match self {
            Ret::Unit => quote::quote!(()),
            Ret::Plain(ty) | Ret::Result { ok: ty, .. } => ty.to_token_stream(),
        }
    }
}

impl<'a> Service<'a> {
    pub(crate) fn from_input(cx: &Ctxt, args: TokenStream, input: &'a Input) -> Self {
        let attrs = ContainerAttrs::from_args(cx, args);
        let (ident, vis) = match input {
            Input::Trait(item) => (item.ident.clone(), item.vis.clone()),
            Input::Impl(item) => (impl_ident(cx, item), syn::parse_quote!(pub)),
        };
        let client = attrs
            .client
            .clone()
            .unwrap_or_else(|| format_ident!("{}Client", ident));
        let methods = match input {
            Input::Trait(item) => trait_methods(item)
                .filter_map(|f| Method::from_fn(cx, &attrs, &f.attrs, &f.sig))
                .collect(),
            Input::Impl(item) => impl_methods(item)
                .filter_map(|f| Method::from_fn(cx, &attrs, &f.attrs, &f.sig))
                .collect(),
        };
        Service {
            input,
            ident,
            client,
            vis,
            attrs,
            methods,
        }
    }
}

pub(crate) fn trait_methods(item: &ItemTrait) -> impl Iterator<Item = &TraitItemFn> {
    item.items.iter().filter_map(|item| match item {
        TraitItem::Fn(f) => Some(f),
        _ => None,
    })
}

pub(crate) fn impl_methods(item: &ItemImpl) -> impl Iterator<Item = &ImplItemFn> {
    item.items.iter().filter_map(|item| match item {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    })
}

fn impl_ident(cx: &Ctxt, item: &ItemImpl) -> Ident {
    if let Type::Path(path) = &*item.self_ty {
        if let Some(last) = path.path.segments.last() {
            return last.ident.clone();
        }
    }
    cx.error_spanned_by(
        &item.self_ty,
        "#[rpc] serves impl blocks of named types, such as `impl Calculator`",
    );
    format_ident!("Service")
}

impl<'a> Method<'a> {
    /// The method, or `None` for an associated function without a receiver
    /// or a method marked `skip`, which are left as they are.
    fn from_fn(
        cx: &Ctxt,
        container: &ContainerAttrs,
        attrs: &'a [Attribute],
        sig: &'a Signature,
    ) -> Option<Self> {
        let method_attrs = MethodAttrs::from_attrs(cx, attrs);
        let receiver = match sig.inputs.first() {
            Some(FnArg::Receiver(receiver)) => {
                if receiver.colon_token.is_some() {
                    Receiver::Typed
                } else if receiver.reference.is_none() {
                    Receiver::Value
                } else if receiver.mutability.is_some() {
                    Receiver::RefMut
                } else {
                    Receiver::Ref
                }
            }
            _ => {
                if let Some(span) = method_attrs.any_but_skip {
                    cx.syn_error(syn::Error::new(
                        span,
                        "an RPC method takes `&self`; associated functions without a receiver are not served",
                    ));
                }
                return None;
            }
        };
        if let Some(skip) = &method_attrs.skip {
            if let Some(span) = method_attrs.any_but_skip {
                cx.syn_error(syn::Error::new(
                    span,
                    "a skipped method takes no other rpc attribute",
                ));
            }
            let _ = skip;
            return None;
        }

        let name = MethodName::new(
            container.namespace.as_ref(),
            &sig.ident,
            method_attrs.name.as_ref(),
            &method_attrs.aliases,
        );
        let args = sig
            .inputs
            .iter()
            .skip(1)
            .map(|arg| Arg::from_fn_arg(cx, arg))
            .collect();
        let params_style = method_attrs.params.unwrap_or(container.params);
        let ret = Ret::from_return_type(&sig.output);
        let subscription = method_attrs
            .subscription
            .clone()
            .map(|notification| Subscribe {
                notification,
                unsubscribe: method_attrs.unsubscribe.as_ref().map(|lit| {
                    let namespace = container.namespace.as_ref().map(LitStr::value);
                    ServedName::from_lit(namespace.as_deref(), lit)
                }),
                item: ret.subscription_item(),
            });

        Some(Method {
            sig,
            original_attrs: attrs,
            name,
            receiver,
            args,
            ret,
            docs: docs(attrs),
            params_style,
            subscription,
            attrs: method_attrs,
        })
    }

    pub(crate) fn params(&self) -> impl Iterator<Item = &Param<'a>> {
        self.args.iter().filter_map(|arg| match arg {
            Arg::Param(param) => Some(&**param),
            _ => None,
        })
    }

    /// The parameter that takes the whole `params` member, if one does.
    pub(crate) fn flattened(&self) -> Option<&Param<'a>> {
        self.params().find(|param| param.flatten.is_some())
    }

    /// Every name the method puts in the router: its own, its aliases, and
    /// the unsubscribe method of a subscription.
    pub(crate) fn served_names(&self) -> impl Iterator<Item = &ServedName> {
        self.name.all().chain(
            self.subscription
                .as_ref()
                .and_then(|subscription| subscription.unsubscribe.as_ref()),
        )
    }

    /// Whether guards run before the method (the service's or its own).
    pub(crate) fn is_guarded(&self, service_guards: &[Expr]) -> bool {
        !service_guards.is_empty() || !self.attrs.guards.is_empty()
    }

    pub(crate) fn is_async(&self) -> bool {
        self.sig.asyncness.is_some()
    }

    pub(crate) fn has_context(&self) -> bool {
        self.args
            .iter()
            .any(|arg| matches!(arg, Arg::Context { .. }))
    }
}

impl<'a> Arg<'a> {
    fn from_fn_arg(cx: &Ctxt, original: &'a FnArg) -> Self {
        let FnArg::Typed(typed) = original else {
            return Arg::Unsupported {
                original,
                reason: "a method has one receiver",
            };
        };
        let attrs = ParamAttrs::from_attrs(cx, &typed.attrs);
        let (by_ref, mutable, named_context) = match &*typed.ty {
            Type::Reference(reference) => (
                true,
                reference.mutability.is_some(),
                is_named_context(&reference.elem),
            ),
            _ => (false, false, false),
        };
        if attrs.context.is_some() || named_context {
            return Arg::Context {
                original,
                ty: &typed.ty,
                by_ref,
                mutable,
                marked: attrs.context,
                other_key: attrs.any_but_context,
            };
        }
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() && pat.by_ref.is_none() => pat.ident.clone(),
            _ => {
                return Arg::Unsupported {
                    original,
                    reason: "RPC parameters need a plain name (it is the name in named params); destructure inside the method",
                }
            }
        };
        if matches!(*typed.ty, Type::ImplTrait(_)) {
            return Arg::Unsupported {
                original,
                reason: "`impl Trait` parameters cannot be decoded; use a concrete type",
            };
        }
        let (name, name_tokens) = match &attrs.name {
            Some(lit) => (lit.value(), lit.to_token_stream()),
            None => (ident.unraw().to_string(), ident.to_token_stream()),
        };
        Arg::Param(Box::new(Param {
            original,
            optional: attrs.default.is_some() || is_option(&typed.ty),
            ident,
            ty: &typed.ty,
            name,
            name_tokens,
            flatten: attrs.flatten,
            default: attrs.default,
        }))
    }
}

impl<'a> Ret<'a> {
    /// `T` when the success type is written `Subscription<T>` (any path to it).
    fn subscription_item(&self) -> Option<&'a Type> {
        let (Ret::Plain(ty) | Ret::Result { ok: ty, .. }) = self else {
            return None;
        };
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last()?;
        if last.ident != "Subscription" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            GenericArgument::Type(item) if args.args.len() == 1 => Some(item),
            _ => None,
        }
    }

    fn from_return_type(output: &'a ReturnType) -> Self {
        let ty = match output {
            ReturnType::Default => return Ret::Unit,
            ReturnType::Type(_, ty) => &**ty,
        };
        match ty {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Ret::Unit,
            Type::Path(path) => {
                let last = path.path.segments.last();
                let args = last
                    .filter(|last| last.ident.to_string().ends_with("Result"))
                    .and_then(|last| match &last.arguments {
                        PathArguments::AngleBracketed(args) => Some(args),
                        _ => None,
                    });
                let mut types = args.into_iter().flat_map(|args| {
                    args.args.iter().filter_map(|arg| match arg {
                        GenericArgument::Type(ty) => Some(ty),
                        _ => None,
                    })
                });
                match types.next() {
                    Some(ok) => Ret::Result {
                        ok,
                        err: types.next(),
                        original: ty,
                    },
                    None => Ret::Plain(ty),
                }
            }
            other => Ret::Plain(other),
        }
    }
}

/// The `///` text, one line per doc attribute, one leading space removed.
fn docs(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(lit), ..
                }) => Some(lit.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}
