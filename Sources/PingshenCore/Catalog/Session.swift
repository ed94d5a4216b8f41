// Messages of one area of the catalog. Keys are "area.what"; {0}, {1}… are the arguments.
// swiftlint:disable line_length
extension Catalog {
    static let sessionEntries: [String: (zh: String, en: String)] = [
        "session.header": ("评审组 {0}（{1}）· 轮次 {2}\n专家 {3}（{4}）· 申报单位 {5}（{6}）· 评分表：{7}", "panel {0} ({1}) · round {2}\nreviewer {3} ({4}) · applicant {5} ({6}) · rubric: {7}"),
        "session.progress": ("已评 {0}/{1} 项，从“{2}”开始。每确认一项即已保存；输入 ? 查看按键说明。", "{0} of {1} scored; starting at “{2}”. Every accepted line is saved at once; type ? for the keys."),
        "session.leaf_head": ("[{0}/{1}] {2}  [{3}]", "[{0}/{1}] {2}  [{3}]"),
        "session.weight_rule": ("分值 {0} 分 · {1}", "{0} points · {1}"),
        "session.guidance": ("指标说明：{0}", "guidance: {0}"),
        "session.basic": ("基本要求：{0}", "basic requirement: {0}"),
        "session.full": ("满分要求：{0}", "full-marks requirement: {0}"),
        "session.unit": ("单位：{0}", "unit: {0}"),
        "session.provisional": ("暂定：{0}", "provisional: {0}"),
        "session.value_line": ("核定值：{0} → 得 {1} / {2} 分", "verified value: {0} → {1} of {2} points"),
        "session.value_no_points": ("无法计分：缺少行业或行业系数（行业：{0}）", "cannot be scored: the industry or its coefficient is missing (industry: {0})"),
        "session.value_missing": ("核定数据缺失：本项暂不得分（请秘书处用 data import 补录）", "no verified value yet: this indicator earns nothing until the secretariat imports it (data import)"),
        "session.value_leaf": ("（核定数据指标：由核定值计算得分，专家无需打分）", "(verified-data indicator: its points come from the value; nothing to score)"),
        "session.reference": ("参考数据（核定）：{0}", "reference data (verified): {0}"),
        "session.data_note": ("核定说明：{0}", "data note: {0}"),
        "session.current": ("当前：{0} 分", "current: {0} points"),
        "session.current_none": ("当前：未评分", "current: not scored"),
        "session.note_current": ("备注：{0}", "note: {0}"),
        "session.prompt": ("{0} [{1}] > ", "{0} [{1}] > "),
        "session.range": ("0–{0}", "0–{0}"),
        "session.range_step": ("0–{0}，步长 {1}", "0–{0}, steps of {1}"),
        "session.range_award": ("0 或 {0}，或 是/否", "0 or {0}, or yes/no"),
        "session.end_prompt": ("完成 [b 返回 · g 编号 跳转 · l 列表 · w 总分 · q 退出] > ", "done [b back · g ID jump · l list · w total · q leave] > "),
        "session.saved": ("✓ {0} = {1}（已保存）", "✓ {0} = {1} (saved)"),
        "session.kept": ("保留 {0} = {1}", "kept {0} = {1}"),
        "session.skipped": ("跳过 {0}（未评分）", "skipped {0} (not scored)"),
        "session.bad_input": ("无法识别“{0}”：请输入 {1} 的分数，或输入 ? 查看按键说明", "cannot read “{0}”: enter points {1}, or ? for the keys"),
        "session.nothing_here": ("当前没有待评的指标：用 b 返回、g 编号 跳转，或 q 退出", "no indicator selected: use b to go back, g ID to jump, or q to leave"),
        "session.at_start": ("已是第一个需要打分的指标", "already at the first indicator to score"),
        "session.unknown_id": ("评分表中没有指标“{0}”（l 列出全部指标）", "the rubric has no indicator “{0}” (l lists them)"),
        "session.note_prompt": ("{0} 的备注（直接回车取消）> ", "note for {0} (Enter alone cancels) > "),
        "session.note_unchanged": ("{0} 的备注未修改", "note for {0} unchanged"),
        "session.note_saved": ("✓ 已保存 {0} 的备注", "✓ note for {0} saved"),
        "session.not_saved": ("本行未保存；之前确认的内容均已保存", "this line was not saved; everything accepted before it is saved"),
        "session.too_long": ("输入过长（上限 {0} 字节），未保存", "input too long (limit {0} bytes); not saved"),
        "session.end": ("已到最后。已评 {0}/{1} 项，当前总分 {2} / {3}。", "end of the rubric. {0} of {1} scored, running total {2} / {3}."),
        "session.end_submit": ("全部评完。确认无误后提交：pingshen sheet submit {0} --reviewer {1} --applicant {2}", "all scored. When you are sure, submit: pingshen sheet submit {0} --reviewer {1} --applicant {2}"),
        "session.end_missing": ("尚未评分：{0}（g 编号 跳转）", "not scored yet: {0} (g ID to jump)"),
        "session.total": ("当前总分：{0} / {1}（已评 {2}/{3} 项）", "running total: {0} / {1} ({2} of {3} scored)"),
        "session.bye": ("已退出：所有已确认的评分均已保存（已评 {0}/{1} 项，当前总分 {2} / {3}）。", "left: everything accepted is saved ({0} of {1} scored, running total {2} / {3})."),
        "session.save_failed": ("无法写入 {0}：{1}（评分已存入数据库）", "cannot write {0}: {1} (the scores are in the database)"),
        "session.timing": ("提交耗时：{0} 行，中位数 {1} ms，p99 {2} ms，最大 {3} ms", "commit time: {0} lines, median {1} ms, p99 {2} ms, max {3} ms"),
        "session.help": ("""
            按键：
              数字         给当前指标打分（如 25、25.5；是/否 型指标也可输入 是 / 否）
              回车         保留当前分值，进入下一项
              ?            显示本说明
              b            返回上一个需要打分的指标
              g 编号       跳转到指定指标（如 g goals）
              n [说明]     为当前指标添加备注
              l            列出全部指标及进度
              w            显示当前总分及各一级指标小计
              q            退出（所有已确认的评分均已保存）
            """, """
            Keys:
              a number     score the current indicator (e.g. 25, 25.5; yes / no for yes/no indicators)
              Enter        keep the current value and go on
              ?            this help
              b            back to the previous indicator to score
              g ID         jump to an indicator (e.g. g goals)
              n [text]     add a note to the current indicator
              l            list every indicator and the progress
              w            running total and the subtotal of each top-level indicator
              q            leave (everything accepted is already saved)
            """),
    ]
}
