//! `runner schema`: the JSON Schema of experiment files for editors, or
//! (`--markdown`) the reference of their keys for docs/experiment-files.md.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::cli::SchemaArgs;
use crate::console;
use crate::exit;
use crate::experiment::json_schema;

/// Prints the schema (or the reference) on stdout.
pub fn schema(args: &SchemaArgs) -> ExitCode {
    let text = match args.markdown {
        true => json_schema::markdown(),
        false => schema_text(),
    };
    print(&text)
}

/// The schema as `runner schema` prints it and experiments/schema.json
/// holds it: pretty JSON, ending with a newline.
pub fn schema_text() -> String {
    let pretty = serde_json::to_string_pretty(&json_schema::json_schema())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    format!("{pretty}\n")
}

/// Writes `text` on stdout: a closed pipe (`| head`) is no error, any other
/// failure is status 4 with the reason.
pub fn print(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            console::error(&format!("error: cannot write to stdout: {e}"));
            ExitCode::from(exit::IO)
        }
    }
}
