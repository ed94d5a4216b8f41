#!/usr/bin/env python3
"""Writes the sample expert pool (Samples/pool/): pool.csv (Chinese headers, UTF-8 with BOM, as a secretariat
keeps it in Excel), pool.yaml (the same experts in the YAML form) and applicants.csv (40 fictional applicants
for the README walkthrough). Deterministic: run it again and the files are the same byte for byte.
All names are invented: organisation names use made-up two-character prefixes that are not place names."""
import random
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "Samples/pool"
rng = random.Random(11)

surnames = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
given = ["明远", "慧敏", "建国", "振华", "海燕", "春梅", "志强", "晓东", "丽华", "文博", "思远", "嘉怡", "宏伟", "雅琴", "国栋",
         "玉兰", "子涵", "浩然", "静怡", "立新", "卫东", "秀英", "俊杰", "梦琪", "德明", "永刚", "小平", "红霞", "建华", "晓燕",
         "学军", "海峰", "婷婷", "鹏飞", "瑞祥", "佳琪", "维民", "淑芬", "长青", "亚楠"]
prefixes = ["青岚", "澄江", "岱川", "明溪", "泓远", "朔原", "霁峰", "沐阳", "栖霞", "辰屿", "恒岳", "芷汀", "翠微", "鹤鸣", "云栖",
            "溪石", "望舒", "临川", "景岫", "凌波", "涵碧", "松岑", "苍梧", "若水", "映雪", "晴岚", "北辰", "远山", "丹枫", "澜沧"]
kinds_of_org = {
    "技术": ["精密机械研究院", "材料科学研究所", "大学机械工程学院", "电子技术研究院", "化工设计研究院", "智能装备研究所",
             "生物医药研究院", "大学材料学院", "信息技术研究所", "能源研究院"],
    "管理": ["管理咨询有限公司", "大学管理学院", "产业发展研究中心", "科技评估中心", "工业经济研究所"],
    "财务": ["会计师事务所", "资产评估有限公司", "大学会计学院", "税务师事务所", "财务咨询有限公司"],
}
fields = ["智能制造", "新材料", "电子信息", "生物医药", "节能环保", "高端装备", "化工", "新能源", "工业软件", "纺织"]
titles = ["正高级工程师", "教授", "研究员", "高级工程师", "副教授", "副研究员", "注册会计师", "高级会计师", "高级经济师"]
regions = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"]

# Applicants of the walkthrough: 40 enterprises, some in the same group.
app_suffix = ["智能装备有限公司", "新材料股份有限公司", "电子科技有限公司", "生物制药有限公司", "环保科技有限公司",
              "重工机械有限公司", "化工有限公司", "新能源科技有限公司", "软件技术有限公司", "纺织科技有限公司"]
groups = ["澄江装备集团", "岱川控股集团", "明溪实业集团", "泓远产业集团"]
applicants = []
for i in range(40):
    f = i % 10
    name = f"{prefixes[(i * 7 + 3) % 30]}{app_suffix[f]}"
    if any(a[1] == name for a in applicants):
        name = f"{prefixes[(i * 11 + 5) % 30]}{app_suffix[f]}"
    group = groups[i % 4] if i % 5 == 0 else ""
    applicants.append((f"a{i + 1:02d}", name, name, group, fields[f]))

experts = []
orgs_by_kind = {k: [f"{p}{s}" for p in prefixes for s in v] for k, v in kinds_of_org.items()}
for k in orgs_by_kind:
    rng.shuffle(orgs_by_kind[k])
    orgs_by_kind[k] = orgs_by_kind[k][:40 if k == "技术" else 14]
used_names = set()
for i in range(320):
    r = rng.random()
    kind = "技术" if r < 0.7 else ("管理" if r < 0.85 else "财务")
    while True:
        name = rng.choice(surnames) + rng.choice(given)
        if name not in used_names:
            used_names.add(name)
            break
    org = rng.choice(orgs_by_kind[kind])
    if kind == "技术":
        fs = rng.sample(fields, rng.choice([1, 2, 2, 3]))
        title = rng.choice(titles[:6])
    elif kind == "管理":
        fs = rng.sample(["企业管理", "技术经济", "产业政策"], rng.choice([1, 2]))
        title = rng.choice(["教授", "研究员", "高级经济师"])
    else:
        fs = rng.sample(["财务审计", "资产评估", "税务"], rng.choice([1, 2]))
        title = rng.choice(["注册会计师", "高级会计师", "教授"])
    available = rng.random() > 0.08
    ties = []
    if rng.random() < 0.06:
        a = rng.choice(applicants)
        ties.append((a[2], "曾任该单位技术顾问"))
    if rng.random() < 0.03:
        ties.append((rng.choice(groups), "近三年与该集团有合作项目"))
    if rng.random() < 0.02:
        a = rng.choice(applicants)
        ties.append((a[0], "亲属在该单位任职"))
    experts.append((f"e{i + 1:04d}", name, org, kind, fs, title, rng.choice(regions), available, ties))
# A few experts work at an applicant: a tie by organization, with no declaration needed.
for j, a in enumerate(applicants[:6]):
    e = list(experts[10 + j * 37])
    e[2] = a[2]
    e[3] = "技术"
    experts[10 + j * 37] = tuple(e)


def csv_cell(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s


with open(f"{out}/pool.csv", "w", encoding="utf-8-sig", newline="") as f:
    f.write("编号,姓名,工作单位,类别,专业领域,职称,地区,可用,回避单位\r\n")
    for (eid, name, org, kind, fs, title, region, av, ties) in experts:
        cells = [eid, name, org, kind, "；".join(fs), title, region, "是" if av else "否",
                 "；".join(f"{t}：{why}" for t, why in ties)]
        f.write(",".join(csv_cell(c) for c in cells) + "\r\n")


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


with open(f"{out}/pool.yaml", "w", encoding="utf-8") as f:
    f.write("# The sample expert pool in its YAML form (the same experts as pool.csv). Written by scripts/make_sample_pool.py.\n")
    f.write("experts:\n")
    for (eid, name, org, kind, fs, title, region, av, ties) in experts:
        f.write(f"  - id: {q(eid)}\n    name: {q(name)}\n    organization: {q(org)}\n    kind: {q(kind)}\n")
        f.write(f"    fields: [{', '.join(q(x) for x in fs)}]\n    title: {q(title)}\n    region: {q(region)}\n")
        f.write(f"    available: {q('是' if av else '否')}\n")
        if ties:
            f.write("    ties:\n")
            for t, why in ties:
                f.write(f"      - {{target: {q(t)}, reason: {q(why)}}}\n")

with open(f"{out}/applicants.csv", "w", encoding="utf-8") as f:
    f.write("# id,name,organization,related,field\n")
    for a in applicants:
        f.write(",".join(a) + "\n")
