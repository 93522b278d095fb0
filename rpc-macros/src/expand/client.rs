//! The typed client stub and its batch builder.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Ident, Lifetime, Path, Type};

use super::{listing, respan_over, Paths};
use crate::check::is_generated_name;
use crate::parse::attr::ParamStyle;
use crate::parse::model::{Arg, Method, Ret, Service};
use crate::types::{
    has_reference, is_serde_std, mentions_ident, mentions_lifetime, mentions_self, owned,
    peel_references,
};

// Input:
//     #[rpc] impl Calculator { fn add(&self, a: i64, b: i64) -> i64 { .. } }
// Output:
//     pub struct CalculatorClient<T> { client: Client<T> }
//     impl<T: Transport> CalculatorClient<T> {
//         pub fn new(transport: T) -> Self { .. }
//         pub fn add(&self, a: i64, b: i64) -> impl Future<Output = Result<i64, ClientError>> + Send + '_ {
//             self.client.send_request(self.client.prepare_request("add", (a, b,)))
//         }
//     }
//     impl CalculatorClient<()> { pub const METHODS: &'static [MethodInfo] = &[..]; }
//     pub struct CalculatorBatch<'c, T> { batch: Batch<'c, T> }
//     impl<T: Transport> CalculatorBatch<'_, T> {
//         pub fn add(&mut self, a: i64, b: i64) -> Result<BatchEntry<i64>, ClientError> { .. }
//         pub async fn send(self) -> Result<BatchResponse, ClientError> { .. }
//     }
//
// One method of each per RPC method, from `Call::client_fn` and `Call::batch_fn`.
// `T` and `'c` are named as shown unless the service's types use those
// names (see `Names`).
pub(crate) fn generate(service: &Service<'_>, paths: &Paths) -> TokenStream {
    generate_with(service, paths, Bodies::Calls)
}

/// The client with every method's body a stand-in: emitted when the
/// attribute reports an error, for the methods whose signatures can be
/// written, so that the user's calls of them give no second error.
pub(crate) fn generate_stand_in(service: &Service<'_>, paths: &Paths) -> TokenStream {
    generate_with(service, paths, Bodies::StandIns)
}

/// What the methods of the client and batch do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bodies {
    /// Send the call.
    Calls,
    /// Nothing: the attribute failed, and the crate does not build.
    StandIns,
}

/// The names the generated client gives its own parameters: readable in
/// rustdoc (`CalculatorClient<T>`, `CalculatorBatch<'c, T>`,
/// `for<'x> Query: ClientParam<'x>`), unless a type of the service uses the
/// same name, which they would shadow; then `__T`, `'__c`, `'__x`.
struct Names {
    transport: Ident,
    batch: Lifetime,
}

impl Names {
    fn new(service: &Service<'_>) -> Self {
        let signatures: Vec<TokenStream> = service
            .methods
            .iter()
            .map(|method| {
                let (generics, inputs, output) =
                    (&method.sig.generics, &method.sig.inputs, &method.sig.output);
                quote!(#generics #inputs #output)
            })
            .collect();
        let transport = if signatures.iter().any(|sig| mentions_ident(sig, "T")) {
            "__T"
        } else {
            "T"
        };
        let batch = if signatures.iter().any(|sig| mentions_lifetime(sig, "c")) {
            "'__c"
        } else {
            "'c"
        };
        Names {
            transport: Ident::new(transport, Span::call_site()),
            batch: Lifetime::new(batch, Span::call_site()),
        }
    }
}

/// The lifetime of a bound checked where the method is called (`for<'x>`),
/// unless the method uses `'x`.
fn bound_lifetime(method: &Method<'_>) -> Lifetime {
    let sig = method.sig;
    let (generics, inputs, output) = (&sig.generics, &sig.inputs, &sig.output);
    let name = if mentions_lifetime(&quote!(#generics #inputs #output), "x") {
        "'__x"
    } else {
        "'x"
    };
    Lifetime::new(name, Span::call_site())
}

fn generate_with(service: &Service<'_>, paths: &Paths, bodies: Bodies) -> TokenStream {
    let krate = &paths.krate;
    let Names {
        transport: t,
        batch: c,
    } = Names::new(service);
    let vis = &service.vis;
    let client = &service.client;
    let batch = batch_ident(service);
    let service_name = service.ident.to_string();
    let client_doc = format!(
        "A typed client for [`{service_name}`]: one method per RPC method, over any `Transport`."
    );
    let batch_doc = format!(
        "A batch of calls to [`{service_name}`], built with typed methods; sent with `send`."
    );
    let methods = listing::methods(service, paths);
    let mut seen = Vec::new();
    let calls: Vec<Call<'_>> = service
        .methods
        .iter()
        .filter(|method| {
            // A failed expansion may hold methods it could not generate, or
            // two of the same name (an error of the item itself).
            bodies == Bodies::Calls
                || (stand_in_possible(method) && !seen.contains(&method.name.rust()) && {
                    seen.push(method.name.rust());
                    true
                })
        })
        .map(|method| Call::new(method, paths, bodies))
        .collect();
    let client_fns = calls.iter().map(Call::client_fn);
    let batch_fns = calls.iter().map(Call::batch_fn);

    quote! {
        #[doc = #client_doc]
        #[allow(unreachable_pub)]
        #vis struct #client<#t> {
            client: #krate::client::Client<#t>,
        }

        impl<#t> #krate::__private::Clone for #client<#t>
        where
            #t: #krate::__private::Clone,
        {
            fn clone(&self) -> Self {
                Self { client: #krate::__private::Clone::clone(&self.client) }
            }
        }

        impl<#t> #krate::__private::fmt::Debug for #client<#t> {
            fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                #krate::__private::fmt::Debug::fmt(&self.client, f)
            }
        }

        impl #client<()> {
            /// The RPC methods of the service: names, aliases, parameters, types and docs.
            #[allow(unreachable_pub)]
            pub const METHODS: &'static [#krate::MethodInfo] = #methods;
        }

        impl<#t: #krate::client::Transport> #client<#t> {
            /// A client that sends over `transport`.
            #[allow(unreachable_pub)]
            pub fn new(transport: #t) -> Self {
                Self { client: #krate::client::Client::new(transport) }
            }

            /// A typed client over an existing untyped one (sharing its ids).
            #[allow(unreachable_pub)]
            pub fn from_client(client: #krate::client::Client<#t>) -> Self {
                Self { client }
            }

            /// The untyped client underneath, for calls by name.
            #[allow(unreachable_pub)]
            pub fn client(&self) -> &#krate::client::Client<#t> {
                &self.client
            }

            /// Starts a batch with one typed method per RPC method.
            #[allow(unreachable_pub)]
            pub fn batch(&self) -> #batch<'_, #t> {
                #batch { batch: self.client.batch() }
            }

            #(#client_fns)*
        }

        #[doc = #batch_doc]
        #[allow(unreachable_pub)]
        #vis struct #batch<#c, #t> {
            batch: #krate::client::Batch<#c, #t>,
        }

        impl<#t> #krate::__private::fmt::Debug for #batch<'_, #t> {
            fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                #krate::__private::fmt::Debug::fmt(&self.batch, f)
            }
        }

        impl<#c, #t: #krate::client::Transport> #batch<#c, #t> {
            /// The untyped batch underneath, to add calls by name.
            #[allow(unreachable_pub)]
            pub fn inner(&mut self) -> &mut #krate::client::Batch<#c, #t> {
                &mut self.batch
            }

            /// Sends the batch; read each result with its entry.
            #[allow(unreachable_pub)]
            pub async fn send(self) -> #krate::__private::Result<#krate::client::BatchResponse, #krate::client::ClientError> {
                self.batch.send().await
            }

            #(#batch_fns)*
        }
    }
}

/// `CalculatorClient` → `CalculatorBatch`; a `client = "..."` name not ending
/// in `Client` gets `Batch` appended.
pub(crate) fn batch_ident(service: &Service<'_>) -> syn::Ident {
    let client = service.client.to_string();
    match client.strip_suffix("Client") {
        Some(stem) if !stem.is_empty() => format_ident!("{}Batch", stem),
        _ => format_ident!("{}Batch", client),
    }
}

/// The params value sent for a call: a tuple (positional) or named pairs.
fn params_expr(method: &Method<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let idents: Vec<_> = method.params().map(|param| &param.ident).collect();
    if idents.is_empty() {
        return quote!(());
    }
    if let Some(param) = method.flattened() {
        let ident = &param.ident;
        return quote!(#ident);
    }
    match method.params_style {
        ParamStyle::Positional => quote!((#(#idents,)*)),
        ParamStyle::Named => {
            let names = method.params().map(|param| &param.name);
            quote!(#krate::__private::Named((#((#names, #idents),)*)))
        }
    }
}

/// The user's docs, then what the call does.
fn docs(method: &Method<'_>) -> TokenStream {
    let name = method.name.served().full();
    let summary = match &method.subscription {
        Some(subscription) => format!(
            "Subscribes with `{name}`: the items arrive as `{}` notifications; dropping the stream ends the subscription (`{}`).",
            subscription.notification.value(),
            subscription
                .unsubscribe
                .as_ref()
                .map_or("", |unsubscribe| unsubscribe.full())
        ),
        None if method.attrs.notification => {
            format!("Sends `{name}` as a notification; does not wait for it to run.")
        }
        None => format!("Calls `{name}`."),
    };
    let user_docs = method
        .original_attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"));
    quote! {
        #(#user_docs)*
        #[doc = ""]
        #[doc = #summary]
    }
}

// Input:
//     fn find(&self, query: Query, limit: u32) -> Vec<Row>
// Output (the where clause of the client method):
//     for<'x> Query: ClientParam<'x>, for<'x> Vec<Row>: ClientResult<'x>,
//
// What the client needs of the types: parameters `Serialize`, the result
// `DeserializeOwned`. A bound that names no type or lifetime parameter is
// checked where it is written (it is "trivial" to rustc); the `for<'x>`
// makes it checked where the method is called instead, so a service whose
// client is never used asks nothing of it, and a call with a type that
// falls short fails at the call with the message of `ClientParam` or
// `ClientResult`, pointing to the type in the service. Types serde is known
// to handle (`u32`) get no bound, so rustdoc shows none; a type that
// cannot be named in a where clause (`Cow<'_, X>`) gets none either and is
// required where the client is generated.
fn client_checks(method: &Method<'_>, paths: &Paths) -> Vec<TokenStream> {
    let krate = &paths.krate;
    let lifetime = bound_lifetime(method);
    let bound = |ty: &dyn ToTokens, check: TokenStream, at: &Type| {
        let check = respan_over(quote!(#krate::__private::#check<#lifetime>), at);
        quote!(for<#lifetime> #ty: #check)
    };
    let mut checks: Vec<TokenStream> = method
        .params()
        .filter(|param| !is_serde_std(param.ty))
        .map(|param| (param.ty, peel_references(param.ty)))
        .filter(|(_, ty)| nameable_in_where(ty))
        .map(|(written, ty)| bound(ty, quote!(ClientParam), written))
        .collect();
    // What the caller receives: the result, or a subscription's items.
    let received = match (&method.subscription, &method.ret) {
        (Some(subscription), _) => subscription.item,
        (None, Ret::Plain(ty) | Ret::Result { ok: ty, .. }) if !method.attrs.notification => {
            Some(*ty)
        }
        _ => None,
    };
    if let Some(ty) = received {
        let owned_ty = owned(&ty.to_token_stream(), krate);
        if !is_serde_std(ty) && nameable_in_where(&owned_ty) {
            checks.push(bound(&owned_ty, quote!(ClientResult), ty));
        }
    }
    checks
}

/// Whether a type of the method can stand in its where clause: no
/// reference or `'_`, whose lifetimes would be elided. (Named lifetimes are
/// the method's own, declared on it.)
fn nameable_in_where(ty: &impl ToTokens) -> bool {
    !has_reference(ty) && !mentions_lifetime(ty, "_")
}

/// Whether a stand-in for the method's client function can be written
/// when the attribute failed: its parameters are plain, it is generic over
/// lifetimes only, its types name no `Self` or `impl Trait`, and its name
/// is not one the client takes for itself.
fn stand_in_possible(method: &Method<'_>) -> bool {
    let sig = method.sig;
    let args_plain = method
        .args
        .iter()
        .all(|arg| !matches!(arg, Arg::Unsupported { .. }));
    let lifetimes_only = sig
        .generics
        .params
        .iter()
        .all(|param| matches!(param, syn::GenericParam::Lifetime(_)));
    let types_usable = method.params().all(|param| !mentions_self(param.ty))
        && match &sig.output {
            syn::ReturnType::Default => true,
            syn::ReturnType::Type(_, ty) => {
                !mentions_self(ty) && !matches!(**ty, Type::ImplTrait(_))
            }
        };
    args_plain && lifetimes_only && types_usable && !is_generated_name(method)
}

/// `<'a, ..>` when the method has lifetime parameters (the only generics it may have).
fn lifetimes(method: &Method<'_>) -> TokenStream {
    let generics = &method.sig.generics;
    if generics.params.is_empty() {
        TokenStream::new()
    } else {
        let params = &generics.params;
        quote!(<#params>)
    }
}

/// What the four generators of one RPC method share (client or batch,
/// request or notification): everything but the receiver, the return type
/// and the body.
struct Call<'a> {
    krate: &'a Path,
    method: &'a Method<'a>,
    /// The name the call is sent under.
    name: &'a str,
    /// The method's lifetime parameters, which borrowed argument types name.
    lifetimes: TokenStream,
    /// `a: i64, b: &str`: the RPC parameters, as the method takes them.
    args: Vec<TokenStream>,
    /// The params value sent.
    params: TokenStream,
    /// The user's docs and a summary of the call.
    docs: TokenStream,
    /// Bounds on the types, checked where the method is called.
    checks: Vec<TokenStream>,
    bodies: Bodies,
}

impl<'a> Call<'a> {
    fn new(method: &'a Method<'a>, paths: &'a Paths, bodies: Bodies) -> Self {
        Call {
            bodies,
            krate: &paths.krate,
            method,
            name: method.name.served().full(),
            lifetimes: lifetimes(method),
            args: method
                .params()
                .map(|param| {
                    let (ident, ty) = (&param.ident, param.ty);
                    quote!(#ident: #ty)
                })
                .collect(),
            params: params_expr(method, paths),
            docs: docs(method),
            checks: client_checks(method, paths),
        }
    }

    /// The method of the typed client.
    fn client_fn(&self) -> TokenStream {
        if self.method.subscription.is_some() {
            client_subscription(self)
        } else if self.method.attrs.notification {
            client_notification(self)
        } else {
            client_request(self)
        }
    }

    /// The method of the typed batch (none for a subscription, whose items
    /// need a stream of their own).
    fn batch_fn(&self) -> TokenStream {
        if self.method.subscription.is_some() {
            TokenStream::new()
        } else if self.method.attrs.notification {
            batch_notification(self)
        } else {
            batch_request(self)
        }
    }

    /// The frame every generator fills: docs, signature, bound checks, and
    /// `body`, with `receiver` and `output` its own; or, for a stand-in,
    /// `stand_in` as the body.
    fn function(
        &self,
        receiver: TokenStream,
        output: TokenStream,
        body: TokenStream,
        stand_in: TokenStream,
    ) -> TokenStream {
        let Call {
            method,
            lifetimes,
            args,
            docs,
            checks,
            bodies,
            ..
        } = self;
        let ident = method.name.rust();
        let (body, allow) = match bodies {
            Bodies::Calls => (body, quote!()),
            Bodies::StandIns => (stand_in, quote!(#[allow(unused_variables)])),
        };
        quote! {
            #docs
            #[allow(unreachable_pub)]
            #allow
            pub fn #ident #lifetimes (#receiver, #(#args),*) #output
            where
                #(#checks,)*
            {
                #body
            }
        }
    }

    /// The stand-in body of a client method, a future that never resolves.
    fn pending(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::__private::pending())
    }

    /// The stand-in body of a batch method.
    fn stand_in(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::__private::stand_in())
    }

    /// What the caller receives on success, owned.
    fn success(&self) -> TokenStream {
        owned(&self.method.ret.success(), self.krate)
    }

    /// What every call fails with.
    fn error(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::client::ClientError)
    }
}

// Input:
//     fn add(&self, a: i64, b: i64) -> i64
// Output:
//     pub fn add(&self, a: i64, b: i64)
//         -> impl Future<Output = Result<i64, ClientError>> + Send + '_
//     where /* see `client_checks` */
//     { self.client.send_request(self.client.prepare_request("add", (a, b,))) }
//
// The `Result` carries the span of the method's return type, so that errors
// about it point there.
fn client_request(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        method,
        name,
        params,
        ..
    } = call;
    let (success, error) = (call.success(), call.error());
    let output =
        quote_spanned!(method.sig.output.span()=> #krate::__private::Result<#success, #error>);
    call.function(
        quote!(&self),
        quote! {
            -> impl #krate::__private::Future<Output = #output> + #krate::__private::Send + '_
        },
        quote!(self.client.send_request(self.client.prepare_request(#name, #params))),
        call.pending(),
    )
}

// Input:
//     #[rpc(subscription = "ticks", unsubscribe = "unsubscribe_ticks")]
//     fn subscribe_ticks(&self, count: u64) -> Subscription<u64>
// Output:
//     pub fn subscribe_ticks(&self, count: u64)
//         -> impl Future<Output = Result<SubscriptionStream<u64>, ClientError>> + Send + '_
//     { subscription::subscribe(&self.client, "subscribe_ticks", (count,), "ticks", "unsubscribe_ticks") }
fn client_subscription(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        method,
        name,
        params,
        ..
    } = call;
    let subscription = method
        .subscription
        .as_ref()
        .expect("called for subscriptions");
    let notification = &subscription.notification;
    let unsubscribe = subscription
        .unsubscribe
        .as_ref()
        .map(|unsubscribe| unsubscribe.full())
        .unwrap_or_default();
    let item = subscription
        .item
        .map_or_else(|| quote!(()), |item| owned(&item.to_token_stream(), krate));
    let error = call.error();
    let output = quote_spanned!(method.sig.output.span()=>
        #krate::__private::Result<#krate::subscription::SubscriptionStream<#item>, #error>);
    call.function(
        quote!(&self),
        quote! {
            -> impl #krate::__private::Future<Output = #output> + #krate::__private::Send + '_
        },
        quote! {
            #krate::subscription::subscribe(&self.client, #name, #params, #notification, #unsubscribe)
        },
        call.pending(),
    )
}

// Input:
//     #[rpc(notification)] fn log(&self, line: String)
// Output:
//     pub fn log(&self, line: String)
//         -> impl Future<Output = Result<(), ClientError>> + Send + '_
//     { self.client.send_notification(self.client.prepare_notification("log", (line,))) }
fn client_notification(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let error = call.error();
    call.function(
        quote!(&self),
        quote! {
            -> impl #krate::__private::Future<Output = #krate::__private::Result<(), #error>> + #krate::__private::Send + '_
        },
        quote!(self.client.send_notification(self.client.prepare_notification(#name, #params))),
        call.pending(),
    )
}

// Input:
//     fn add(&self, a: i64, b: i64) -> i64
// Output:
//     pub fn add(&mut self, a: i64, b: i64) -> Result<BatchEntry<i64>, ClientError>
//     { self.batch.request("add", (a, b,)) }
fn batch_request(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let (success, error) = (call.success(), call.error());
    call.function(
        quote!(&mut self),
        quote! {
            -> #krate::__private::Result<#krate::client::BatchEntry<#success>, #error>
        },
        quote!(self.batch.request(#name, #params)),
        call.stand_in(),
    )
}

// Input:
//     #[rpc(notification)] fn log(&self, line: String)
// Output:
//     pub fn log(&mut self, line: String) -> Result<(), ClientError>
//     { self.batch.notify("log", (line,)) }
fn batch_notification(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let error = call.error();
    call.function(
        quote!(&mut self),
        quote!(-> #krate::__private::Result<(), #error>),
        quote!(self.batch.notify(#name, #params)),
        call.stand_in(),
    )
}
