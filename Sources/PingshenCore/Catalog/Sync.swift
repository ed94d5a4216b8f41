// Messages of one area of the catalog: sharing a panel through a server (tokens per panel, seal and verify of
// a shared panel, conflicts). Keys are "area.what"; {0}, {1}… are the arguments.
// swiftlint:disable line_length
extension Catalog {
    static let syncEntries: [String: (zh: String, en: String)] = [
        // Tokens by server and panel
        "server.cli.no_credentials_panel": ("尚未为 {0} 上的评审组 {1} 登录（请先 pingshen login --server {0} --code 登记码）", "not logged in to panel {1} of {0} (run pingshen login --server {0} --code CODE first)"),
        "server.cli.which_panel": ("在 {0} 上保存了多个评审组的令牌，请指明评审组", "tokens of several panels of {0} are kept; name the panel"),
        "server.cli.no_tokens": ("尚未保存任何令牌（{0}）", "no tokens kept yet ({0})"),
        "server.cli.token_line": ("{0}  评审组 {1}  {2}  {3}  有效至 {4}", "{0}  panel {1}  {2}  {3}  valid until {4}"),
        "server.cli.login_needs_server": ("登录需要 --server 服务器地址", "login needs --server URL"),
        "server.cli.port_busy": ("端口已被占用：{0}（另一个 pingshen serve 或其他程序正在使用；换一个 --port，或先停止它）", "the port is in use: {0} (another pingshen serve or another program has it; choose another --port, or stop it first)"),
        "server.cli.already_initialized": ("服务器数据库 {0} 已经初始化过，管理员登记码已发出；如确需再发一个，请加 --new-admin-code（会记入审计日志）", "the server store {0} is already set up and its admin code was issued; to issue another one, add --new-admin-code (it is logged)"),
        // Sync
        "server.sync.denied": ("{0}：服务器拒绝了本机的令牌（HTTP {1}）：{2}。服务器上没有应用任何更改；发件箱原样保留，但在重新登录该评审组（pingshen login --server {3} --code 登记码）之前，同步会一直被拒绝", "{0}: the server refused this device's token (HTTP {1}): {2}. Nothing was applied there; the outbox is kept as it is, but every sync will be refused until you log in for this panel again (pingshen login --server {3} --code CODE)"),
        "server.sync.conflict": ("{0}：{1} {2} 的本机值 {3} 已被另一设备较晚写入的 {4} 取代（{5}，{6}；以最后写入者为准）", "{0}: this device's value {3} of {1} {2} was replaced by the later value {4} from another device ({5}, {6}; the last writer wins)"),
        "server.sync.no_conflicts": ("{0}：没有被其他设备覆盖的本机评分", "{0}: no score of this device was replaced by another device"),
        // Seal and verify of a shared panel
        "server.seal.inputs_differ": ("评审组 {0} 的输入摘要与服务器上的数据不符（组长 {1}，服务器 {2}）：请重新读取后再封存", "the inputs digest of panel {0} does not match the server's rows (chair {1}, server {2}): read the panel again, then seal"),
        "server.seal.bad_digest": ("封存摘要应为 {\"inputs\": 64 位十六进制, \"results\": 64 位十六进制}", "a seal digest is {\"inputs\": 64 hex digits, \"results\": 64 hex digits}"),
        "chair.finalize_reviewer_copy": ("评审组 {0} 是从服务器 {1} 同步来的评审专家副本，不能在本机封存；由组长在服务器上封存（pingshen server seal {0} --server {1}），之后同步即可", "panel {0} is a reviewer's copy synced from {1} and is not sealed here; the chair seals the shared panel (pingshen server seal {0} --server {1}), then sync"),
        "chair.complete_unsubmitted": ("有 {0} 份评分表已打完全部分数但尚未提交，不计入结果：{1}（请提交，或用 --allow-incomplete 封存）", "{0} sheets have every score but are not submitted and do not count: {1} (submit them, or seal with --allow-incomplete)"),
        "chair.complete_unsubmitted_note": ("注意：有 {0} 份评分表已打完全部分数但尚未提交，未计入上表：{1}", "Note: {0} sheets have every score but are not submitted and are not counted above: {1}"),
        "chair.verify_partial": ("评审组 {0} 是评审专家的副本，只含本人的评分表（服务器 {1} 尚未公开各人评分）：已核验审计链和数据；封存摘要涵盖本机没有的评分表，无法在此核验（请在组长的副本上或用 --server 核验）", "panel {0} is a reviewer's copy holding only this reviewer's sheets (the server {1} has not released the others): the audit chain and the rows were verified; the seal's digests cover sheets this copy does not hold and cannot be checked here (verify on the chair's copy or with --server)"),
        "chair.server_audit_ok": ("服务器 {0} 的审计链完整（{1} 条记录）", "the audit chain of the server {0} is intact ({1} rows)"),
        "chair.server_audit_broken": ("服务器 {0} 的审计链从第 {1} 条起不再一致", "the audit chain of the server {0} no longer verifies from row {1}"),
        "chair.server_inputs_moved": ("评审组 {0} 在核验期间发生了变化（服务器摘要 {1}，快照摘要 {2}）：请再核验一次", "panel {0} changed during the check (server digest {1}, snapshot digest {2}): verify again"),
        "chair.seal_no_digests": ("评审组 {0} 在服务器 {1} 上封存时没有记录摘要，无法核验结果", "panel {0} was sealed on the server {1} without digests; its results cannot be verified"),
        // Store
        "store.control_char": ("{0} 含有控制字符 {1}（只允许制表符和换行），未保存", "{0} holds the control character {1} (only tabs and line breaks are allowed); nothing was saved"),
        "store.text_too_long": ("{0} 过长（最多 {1} 个字符），未保存", "{0} is too long (at most {1} characters); nothing was saved"),
        "store.outbox_kind": ("发件箱中有本版本不认识的更改类型“{0}”", "the outbox holds a change of a kind this version does not know: “{0}”"),
    ]
}
