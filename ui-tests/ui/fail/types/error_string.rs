struct S;

#[rpc_core::rpc]
impl S {
    fn parse(&self, text: String) -> Result<u8, String> {
        text.parse().map_err(|_| format!("not a number: {text}"))
    }
}

fn main() {}
