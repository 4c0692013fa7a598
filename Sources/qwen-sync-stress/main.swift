// qwen-sync-stress: worker processes for the multi-process tests and benchmarks.
//
//   qwen-sync-stress rmw --qwen-dir D --cycles N [--stale-ms S] [--delay-ms D]
//       N read-modify-write transactions through CredentialStore, each incrementing a counter
//       kept in an unknown field of both oauth_accounts.json and oauth_creds.json.
//   qwen-sync-stress write-forever --qwen-dir D [--stale-ms S] [--delay-ms D]
//       the same, endlessly (killed with SIGKILL by the test); prints each committed counter.
//   qwen-sync-stress verify --qwen-dir D --reads N
//       reads both files N times; exits 1 at the first partial or invalid file.
//   qwen-sync-stress hold-lock --path P --ms M [--stale-ms S] [--delay-ms D]
//       takes the lock at P, prints "HELD", holds it M ms (heartbeat on), releases, prints "RELEASED".
//
// A usage error (an unknown flag, a value that does not parse) exits 2.
import QwenCommandLine

let tool = StressTool.parseOrExitWithUsageCode()
tool.run()
