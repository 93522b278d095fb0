struct S;

#[rpc_core::rpc]
impl S {
    async fn read(&self, path: String) -> Result<String, std::io::Error> {
        std::fs::read_to_string(path)
    }
}

fn main() {}
