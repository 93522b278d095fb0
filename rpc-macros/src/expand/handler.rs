//! The handler of one RPC method: the `Method` value the router glue adds.
//! Params are decoded straight into the argument types through rpc-core's
//! one-pass decoder; one generator per shape (sync, async, blocking) builds
//! the closure from what `Handler` holds for all of them.
//!
//! What the user's types must be able to do (decode, encode, convert into
//! `rpc_core::Error`, be the context) is asked through the traits of
//! `rpc_core::__private::checks`, with the user's type tokens in the
//! `Self` position: a type that cannot gives one error there, saying what
//! to do, and nothing after it fails again.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Path, Type};

use super::{local, respan_over, Paths};
use crate::parse::model::{Arg, Method, Ret, Service};
use crate::types::{erase_lifetimes, is_str_ref, ParamCheck};

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
        let args = self.method.args.iter().map(|arg| match arg {
            Arg::Param(param) => param.ident.to_token_stream(),
            Arg::Context { ty, marked, .. } => self.context(ty, marked.is_some()),
            Arg::Unsupported { .. } => unreachable!("checked before generating"),
        });
        quote!(Self::#ident(#receiver, #(#args),*))
    }

    // Input:
    //     ctx: &Context                    #[rpc(context)] ctx: &Ctx
    // Output:
    //     <&'_ Context as NamedContext<'_>>::context(ctx)
    //     <&'_ Ctx as MarkedContext<'_>>::context(ctx)
    //
    // The identity for `&rpc_core::Context`; for any other type, the error
    // at the parameter's type that says why it was taken as the context.
    fn context(&self, ty: &Type, marked: bool) -> TokenStream {
        let krate = self.krate;
        let ctx = &self.ctx;
        let check = if marked {
            quote!(MarkedContext)
        } else {
            quote!(NamedContext)
        };
        let named = erase_lifetimes(&self.method.sig.generics, ty);
        quote_spanned!(ty.span()=> <#named as #krate::__private::#check<'_>>::context(#ctx))
    }

    /// Writes what `call` returns: its value as the result, or a `Result`
    /// as a result or an error, each through its check at the user's type.
    /// A subscription's value is started, and its id is the result.
    fn write(&self, call: TokenStream) -> TokenStream {
        let krate = self.krate;
        let sink = &self.sink;
        match &self.method.ret {
            Ret::Unit => quote!({ #call; #sink.write(&()) }),
            Ret::Plain(ty) if self.method.subscription.is_some() => self.start(ty, &call),
            Ret::Plain(ty) => self.write_value(ty, &quote!(&#call)),
            Ret::Result { ok, err, original } => {
                let (value, error) = (local("value"), local("error"));
                let write = if self.method.subscription.is_some() {
                    self.start(ok, &value.to_token_stream())
                } else {
                    self.write_value(ok, &quote!(&#value))
                };
                let convert = error_conversion(krate, err.unwrap_or(original));
                quote! {
                    match #call {
                        #krate::__private::Ok(#value) => #write,
                        #krate::__private::Err(#error) => #krate::__private::Err(#convert(#error)),
                    }
                }
            }
        }
    }

    // Input:
    //     #[rpc(subscription = "ticks", unsubscribe = "unsubscribe_ticks")]
    //     fn subscribe_ticks(&self, count: u64) -> Subscription<u64>
    // Output:
    //     sink.write(&start_subscription(ctx, "ticks", Self::subscribe_ticks(svc, count))?)
    //
    // The subscription starts on the caller's connection; its id is the
    // answer, and its items follow it.
    fn start(&self, ty: &Type, subscription: &TokenStream) -> TokenStream {
        let krate = self.krate;
        let (sink, ctx) = (&self.sink, &self.ctx);
        let notification = &self
            .method
            .subscription
            .as_ref()
            .expect("called for subscriptions")
            .notification;
        let start = quote_spanned!(ty.span()=> #krate::__private::start_subscription);
        quote!(#sink.write(&#start(#ctx, #notification, #subscription)?))
    }

    /// `<T as ResultValue>::write(value, sink)`: writes a result of type
    /// `ty`, or fails to compile at `ty` if it is not `Serialize`.
    fn write_value(&self, ty: &Type, value: &TokenStream) -> TokenStream {
        let krate = self.krate;
        let sink = &self.sink;
        let named = erase_lifetimes(&self.method.sig.generics, ty);
        quote_spanned!(ty.span()=> <#named as #krate::__private::ResultValue>::write(#value, #sink))
    }
}

/// `<rpc_core::Error as ErrorFrom<_>>::from_error`: the function that turns
/// a method's error into the answer, or fails to compile at the error type
/// (`spanned_by`) if it does not convert. The error type is inferred, so an
/// alias such as `io::Result<T>` needs no spelling of it.
fn error_conversion(krate: &Path, spanned_by: &Type) -> TokenStream {
    let error = respan_over(quote!(#krate::Error), spanned_by);
    quote_spanned!(spanned_by.span()=> <#error as #krate::__private::ErrorFrom<_>>::from_error)
}

// Input:
//     fn add(&self, a: i64, b: &[u32])
// Output:
//     let args: Result<(i64, &'_ [u32],), Error> = {
//         <i64 as Param<'_>>::check();
//         <&'_ [u32] as RefParam<'_>>::check();
//         use __private::{DecodeArgs as _, DecodeArgsUnchecked as _};
//         (&Args::<(i64, &'_ [u32],)>(PhantomData))
//             .decode_with(params, CalculatorClient::<()>::METHODS[0].params, false)
//     };
//
// Each `check` reports an argument type that cannot be decoded, at the
// type; the tuple is then decoded by a stand-in that never runs, so that
// nothing else reports it again. A `flatten` parameter is decoded, and
// checked, by `<T as Param<'_>>::parse(params)`.
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
    let generics = &method.sig.generics;
    let decode_types: Vec<TokenStream> = method
        .params()
        .map(|param| {
            let ty = param.ty;
            let decoded = if is_str_ref(ty) {
                quote_spanned!(ty.span()=> #krate::__private::StrArg<'_>)
            } else {
                erase_lifetimes(generics, ty)
            };
            // A parameter with a default may be absent.
            if param.default.is_some() {
                quote_spanned!(ty.span()=> #krate::__private::Option<#decoded>)
            } else {
                decoded
            }
        })
        .collect();
    let check_trait = |ty: &Type| format_ident!("{}", ParamCheck::of(ty).trait_name());
    if let Some(param) = method.flattened() {
        // The type as decoded: a `&str` arrives as a `StrArg`.
        let (ty, decoded) = (param.ty, &decode_types[0]);
        let check = check_trait(ty);
        let parse =
            quote_spanned!(ty.span()=> <#decoded as #krate::__private::#check<'_>>::parse(#params));
        return quote! {
            let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> =
                #krate::__private::Result::map(#parse, |whole| (whole,));
        };
    }
    let checks = method
        .params()
        .filter(|param| !is_str_ref(param.ty))
        .map(|param| {
            let ty = param.ty;
            let named = erase_lifetimes(generics, ty);
            let check = check_trait(ty);
            quote_spanned!(ty.span()=> <#named as #krate::__private::#check<'_>>::check();)
        });
    quote! {
        let #args: #krate::__private::Result<(#(#decode_types,)*), #krate::Error> = {
            #(#checks)*
            #[allow(unused_imports)]
            use #krate::__private::{DecodeArgs as _, DecodeArgsUnchecked as _};
            (&#krate::__private::Args::<(#(#decode_types,)*)>(#krate::__private::PhantomData))
                .decode_with(#params, #client::<()>::METHODS[#index].params, #allow_unknown)
        };
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
//         let args: Result<(i64, Option<i64>,), Error> = { /* see `decode` */ };
//         let (a, b,) = args?;
//         let b: i64 = Option::unwrap_or_default(b);
//         <i64 as ResultValue>::write(&Self::add(svc, a, b), sink)
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
//         let args: Result<(StrArg<'_>,), Error> = { /* see `decode` */ };
//         Box::pin(async move {
//             let (name,) = args?;
//             let name: &str = &name.0;
//             match Self::greet(svc, name, <&'_ Context as NamedContext<'_>>::context(ctx)).await {
//                 Ok(value) => <String as ResultValue>::write(&value, sink),
//                 Err(error) => Err(<Error as ErrorFrom<_>>::from_error(error)),
//             }
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
//         let args: Result<(String,), Error> = { /* see `decode` */ };
//         let svc = Arc::clone(svc);
//         Box::pin(async move {
//             let (data,) = args?;
//             let value = run_blocking(move || {
//                 Result::map_err(Self::hash(&svc, data), |error| <Error as ErrorFrom<_>>::from_error(error))
//             })
//             .await?;
//             <u64 as ResultValue>::write(&value, sink)
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
    let (to_result, write) = match &handler.method.ret {
        Ret::Unit => (
            quote!({ #call; #krate::__private::Ok(()) }),
            quote!(#sink.write(&#value)),
        ),
        Ret::Plain(ty) => (
            quote!(#krate::__private::Ok(#call)),
            handler.write_value(ty, &quote!(&#value)),
        ),
        Ret::Result { ok, err, original } => {
            let convert = error_conversion(krate, err.unwrap_or(original));
            // A closure, not the path: a function item whose bound fails
            // would fail `map_err`'s bound too.
            let error = local("error");
            (
                quote!(#krate::__private::Result::map_err(#call, |#error| #convert(#error))),
                handler.write_value(ok, &quote!(&#value)),
            )
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
                    #write
                })
            },
        )
    }
}
