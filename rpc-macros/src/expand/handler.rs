//! The handler of one RPC method: the `Method` value the router glue adds.
//! Params are decoded straight into the argument types through rpc-core's
//! one-pass decoder; one generator per shape (sync, async, blocking) builds
//! the closure from what `Handler` holds for all of them.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use super::{local, Paths};
use crate::parse::model::{Arg, Method, Ret, Service};
use crate::types::{erase_lifetimes, is_str_ref};

/// The `Method` value for one RPC method, by its shape.
pub(super) fn method_expr(
    service: &Service<'_>,
    method: &Method<'_>,
    index: usize,
    paths: &Paths,
) -> TokenStream {
    let handler = Handler::new(service, method, index, paths);
    if method.attrs.blocking.is_some() {
        blocking_method(&handler)
    } else if method.is_async() {
        async_method(&handler)
    } else {
        sync_method(&handler)
    }
}

/// What the generator of every shape needs for one method: the hygienic
/// locals of the handler closure, and the statements that decode, bind and
/// default the arguments, ready to splice.
struct Handler<'a> {
    krate: &'a Path,
    method: &'a Method<'a>,
    /// The `Arc` of the service, in `router_from_arc`.
    this: Ident,
    /// The service, as the handler closure receives it.
    svc: Ident,
    /// The request's params member.
    params: Ident,
    /// The request's context.
    ctx: Ident,
    /// Where the result or error is written.
    sink: Ident,
    /// `let args: Result<(A, B,), Error> = ..;`: decodes params into the argument types.
    decode: TokenStream,
    /// `let (a, b,) = args?;`, then every `&str` lent out of its `StrArg`.
    bind: TokenStream,
    /// `let b: B = Option::unwrap_or_default(b);` for every parameter with a default.
    defaults: TokenStream,
}

impl<'a> Handler<'a> {
    fn new(service: &Service<'_>, method: &'a Method<'a>, index: usize, paths: &'a Paths) -> Self {
        let krate = &paths.krate;
        let params = local("params");
        let args = local("args");
        let decode = decode(service, method, index, krate, &params, &args);
        let bindings = method.params().map(|param| &param.ident);
        let lend_strs = lend_strs(method, krate);
        Handler {
            krate,
            method,
            this: local("this"),
            svc: local("svc"),
            params,
            ctx: local("__ctx"),
            sink: local("sink"),
            decode,
            bind: quote! { let (#(#bindings,)*) = #args?; #lend_strs },
            defaults: defaults(method, krate),
        }
    }

    /// `Self::add(svc, a, b)`: the method called on `receiver`, with the
    /// decoded arguments and the context in the order it takes them.
    fn call(&self, receiver: TokenStream) -> TokenStream {
        let ident = self.method.name.rust();
        let ctx = &self.ctx;
        let args = self.method.args.iter().map(|arg| match arg {
            Arg::Param(param) => {
                let ident = &param.ident;
                quote!(#ident)
            }
            _ => quote!(#ctx),
        });
        quote!(Self::#ident(#receiver, #(#args),*))
    }

    /// Writes what `call` returns: its value as the result, or a `Result`
    /// as a result or an error (spanned at the return type, where a missing
    /// `Serialize` is reported).
    fn write(&self, call: TokenStream) -> TokenStream {
        let sink = &self.sink;
        match &self.method.ret {
            Ret::Unit => quote!({ #call; #sink.write(&()) }),
            Ret::Plain(ty) => quote_spanned!(ty.span()=> #sink.write(&#call)),
            Ret::Result { original, .. } => {
                quote_spanned!(original.span()=> #sink.write_result(#call))
            }
        }
    }
}

/// The statement that decodes the params member into a tuple of the
/// argument types: by position or name, or whole for a `flatten` parameter.
fn decode(
    service: &Service<'_>,
    method: &Method<'_>,
    index: usize,
    krate: &Path,
    params: &Ident,
    args: &Ident,
) -> TokenStream {
    let client = &service.client;
    let allow_unknown = service.attrs.allow_unknown_params;
    let decode_types = method.params().map(|param| {
        let ty = param.ty;
        let decoded = if is_str_ref(ty) {
            quote_spanned!(ty.span()=> #krate::__private::StrArg<'_>)
        } else {
            erase_lifetimes(&method.sig.generics, ty)
        };
        // A parameter with a default may be absent.
        if param.default.is_some() {
            quote_spanned!(ty.span()=> #krate::__private::Option<#decoded>)
        } else {
            decoded
        }
    });
    if method.flattened().is_some() {
        quote! {
            let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> =
                #krate::__private::Result::map(#krate::Params::parse(#params), |whole| (whole,));
        }
    } else {
        quote! {
            let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> =
                #krate::Params::decode_with(#params, #client::<()>::METHODS[#index].params, #allow_unknown);
        }
    }
}

/// `&str` arguments arrive as `StrArg` (borrowed, or owned when escaped) and are lent out here.
fn lend_strs(method: &Method<'_>, krate: &Path) -> TokenStream {
    let lend_strs = method
        .params()
        .filter(|param| is_str_ref(param.ty))
        .map(|param| {
            let ident = &param.ident;
            if param.default.is_some() {
                // Still optional: the default is filled in below.
                quote! {
                    let #ident: #krate::__private::Option<&str> = match &#ident {
                        #krate::__private::Some(arg) => #krate::__private::Some(&arg.0),
                        #krate::__private::None => #krate::__private::None,
                    };
                }
            } else {
                quote!(let #ident: &str = &#ident.0;)
            }
        });
    quote!(#(#lend_strs)*)
}

/// Fills in every absent parameter that has a default, spanned at the
/// default expression (or at the type, for `T::default()`).
fn defaults(method: &Method<'_>, krate: &Path) -> TokenStream {
    let defaults = method.params().filter_map(|param| {
        let default = param.default.as_ref()?;
        let ident = &param.ident;
        let ty = param.ty;
        let named = erase_lifetimes(&method.sig.generics, ty);
        Some(match default {
            None => quote_spanned! {ty.span()=>
                let #ident: #named = #krate::__private::Option::unwrap_or_default(#ident);
            },
            Some(expr) => quote_spanned! {expr.span()=>
                let #ident: #named = #krate::__private::Option::unwrap_or_else(#ident, || #expr);
            },
        })
    });
    quote!(#(#defaults)*)
}

// Input:
//     fn add(&self, a: i64, #[rpc(default)] b: i64) -> i64
// Output:
//     Method::sync_with_state(Arc::clone(&this), |svc: &Self, params, ctx, sink| {
//         let args: Result<(i64, Option<i64>,), Error> =
//             Params::decode_with(params, CalculatorClient::<()>::METHODS[0].params, false);
//         let (a, b,) = args?;
//         let b: i64 = Option::unwrap_or_default(b);
//         sink.write(&Self::add(svc, a, b))
//     })
fn sync_method(handler: &Handler<'_>) -> TokenStream {
    let Handler {
        krate,
        this,
        svc,
        params,
        ctx,
        sink,
        decode,
        bind,
        defaults,
        ..
    } = handler;
    let write = handler.write(handler.call(quote!(#svc)));
    quote! {
        #krate::Method::sync_with_state(
            #krate::__private::Arc::clone(&#this),
            |#svc: &Self, #params, #ctx, #sink| {
                #decode
                #bind
                #defaults
                #write
            },
        )
    }
}

// Input:
//     async fn greet(&self, name: &str, ctx: &Context) -> Result<String, Error>
// Output:
//     Method::async_with_state(Arc::clone(&this), |svc: &Self, params, ctx, sink| {
//         let args: Result<(StrArg<'_>,), Error> = Params::decode_with(params, ..);
//         Box::pin(async move {
//             let (name,) = args?;
//             let name: &str = &name.0;
//             sink.write_result(Self::greet(svc, name, ctx).await)
//         })
//     })
//
// Params are decoded before the future starts, while the request is borrowed.
fn async_method(handler: &Handler<'_>) -> TokenStream {
    let Handler {
        krate,
        this,
        svc,
        params,
        ctx,
        sink,
        decode,
        bind,
        defaults,
        ..
    } = handler;
    let call = handler.call(quote!(#svc));
    let write = handler.write(quote!(#call.await));
    quote! {
        #krate::Method::async_with_state(
            #krate::__private::Arc::clone(&#this),
            |#svc: &Self, #params, #ctx, #sink| {
                #decode
                #krate::__private::Box::pin(async move {
                    #bind
                    #defaults
                    #write
                })
            },
        )
    }
}

// Input:
//     #[rpc(blocking)] fn hash(&self, data: String) -> Result<u64, Error>
// Output:
//     Method::async_with_state(Arc::new(Arc::clone(&this)), |svc: &Arc<Self>, params, _, sink| {
//         let args: Result<(String,), Error> = Params::decode_with(params, ..);
//         let svc = Arc::clone(svc);
//         Box::pin(async move {
//             let (data,) = args?;
//             let value = run_blocking(move || {
//                 Result::map_err(Self::hash(&svc, data), Into::into)
//             })
//             .await?;
//             sink.write(&value)
//         })
//     })
//
// The method runs on the blocking pool, so the closure takes its own `Arc`
// of the service instead of the borrowed one, and no context.
fn blocking_method(handler: &Handler<'_>) -> TokenStream {
    let Handler {
        krate,
        this,
        svc,
        params,
        sink,
        decode,
        bind,
        defaults,
        ..
    } = handler;
    let value = local("value");
    let call = handler.call(quote!(&#svc));
    let to_result = match &handler.method.ret {
        Ret::Unit => quote!({ #call; #krate::__private::Ok(()) }),
        Ret::Plain(ty) => quote_spanned!(ty.span()=> #krate::__private::ok(#call)),
        Ret::Result { original, .. } => {
            quote_spanned!(original.span()=> #krate::__private::Result::map_err(#call, #krate::__private::Into::into))
        }
    };
    quote! {
        #krate::Method::async_with_state(
            #krate::__private::Arc::new(#krate::__private::Arc::clone(&#this)),
            |#svc: &#krate::__private::Arc<Self>, #params, _, #sink| {
                #decode
                let #svc = #krate::__private::Arc::clone(#svc);
                #krate::__private::Box::pin(async move {
                    #bind
                    let #value = #krate::__private::run_blocking(move || {
                        #defaults
                        #to_result
                    })
                    .await?;
                    #sink.write(&#value)
                })
            },
        )
    }
}
