"""Build the bundled demo data (data/samples/) from scenarios written by the project.

    python scripts/build_samples.py

A week (2026-11-02..08) of contacts at a bank-card and payments centre: phone calls (ASR-style transcripts with
turn times), online chats, SMS and Weibo posts, across three business lines and twelve agents, with two stories
for the trend report to find: on 2026-11-06 from 10:00 to 12:30 a new wallet-app release crashes and double-charges
QR payments, and agent A07's calls end less satisfied. Deterministic (seeded), so the files do not change between
runs. Writes contacts.jsonl (every contact), complaints.csv (the SMS and Weibo texts) and utterances.csv (some
calls as a long table, one utterance per row).
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "samples"
AGENTS = [f"A{i:02d}" for i in range(1, 13)]
MERCHANTS = ["京东", "美团", "携程", "滴滴", "拼多多", "中石化加油站", "星巴克", "国家电网", "12306", "当当网"]
AMOUNTS = ["68.50", "128", "199", "256.80", "399", "520", "1280", "2999", "45.90", "860"]
ABROAD = ["日本", "泰国", "新加坡", "法国", "美国", "香港"]

# (category, business line, customer lines, agent lines, closing customer line). {m} merchant, {a} amount, {c} country.
CALLS = [
    ("transaction_error", "domestic", ["喂你好 我那个 我的信用卡在{m}被扣了两次钱 一次{a}", "对 就是昨天晚上 我就买了一次啊"],
     ["您好很高兴为您服务", "我帮您查一下 确实有两笔{a}元的交易 其中一笔是重复扣款 我给您提交差错处理"], "好的 那大概多久能退回来"),
    ("transaction_error", "domestic", ["你好 我上周在{m}退了货 商家说退款{a}元已经退了 可是我卡里到现在没到账"],
     ["您好 请问是尾号多少的卡", "查到了 这笔退款银行已经收到 预计三个工作日内入账"], "嗯 那我再等等吧 谢谢"),
    ("transaction_error", "domestic", ["喂 我信用卡账单上有一笔{a}块的消费 我根本没有买过 这是怎么回事啊", "我卡一直在身上 没借给别人"],
     ["您先别着急 我帮您把卡临时冻结", "这笔交易我们会发起调查 您需要签一份否认交易声明"], "吓死我了 好的 麻烦你们尽快"),
    ("transaction_error", "domestic", ["我那个 我转账给我妈 转了{a} 显示成功了 她那边说没收到钱", "都两天了"],
     ["您好 我查一下这笔转账", "这笔是跨行转账 对方银行退回了 原因是户名不符 钱会原路退回"], "啊 原来是名字写错了 好的"),
    ("transaction_error", "domestic", ["你们这个年费怎么又扣了 我去年就说过免年费的 又扣我{a}", "每次都要打电话 烦不烦"],
     ["非常抱歉给您带来不便", "我这边帮您把年费退回 并且备注本年度减免"], "行吧 下次别再乱扣了"),
    ("transaction_error", "innovation", ["我用你们那个钱包APP扫码付了{a} 商家说没收到 可是我这边钱扣了"],
     ["您好 这种情况一般是交易状态没有同步", "我给您登记一个差错工单 如果交易失败款项会自动退回"], "那要等多久啊 我还要赶着用钱"),
    ("transaction_error", "innovation", ["那个 我绑卡的时候 被扣了一块钱验证费 说好的会退 一直没退"],
     ["您好 这笔是绑卡验证的预授权", "已经查到 系统会在七天内撤销"], "好的 知道了"),
    ("transaction_error", "cross_border", ["我在{c}刷卡买了东西 账单上的汇率跟当天的不一样 多扣了好多", "差了快一百块"],
     ["您好 境外消费是按清算当天的汇率入账", "另外还有百分之一点五的货币转换费 我把明细发您短信"], "这个事先也没人告诉我啊"),
    ("transaction_error", "cross_border", ["喂 我在{c}的ATM取钱 钱没吐出来 但是卡里扣了{a}"],
     ["您好 境外ATM吞钞的情况需要发起国际调单", "大概需要四十五个工作日 我先给您登记"], "四十五天 这么久 好吧"),
    ("inquiry", "domestic", ["你好 我想问一下 信用卡的账单日能不能改", "改到每个月十五号"],
     ["可以的 账单日每年可以修改一次", "我现在帮您改到十五号 下个账单周期生效"], "好的 谢谢你"),
    ("inquiry", "domestic", ["喂 请问分期还款的手续费怎么算的", "我想把{a}分十二期"],
     ["您好 十二期的每期手续费率是百分之零点六", "我可以帮您办理 需要吗"], "我再想想 先不办了"),
    ("inquiry", "innovation", ["你好 我想开通手机闪付 是在APP里面弄吗"],
     ["是的 打开钱包APP 在卡片管理里面选择闪付 按提示绑定就可以"], "明白了 谢谢"),
    ("inquiry", "innovation", ["我是白金卡客户 想问一下机场贵宾厅怎么用", "要提前预约吗"],
     ["您好 白金卡每年有六次免费贵宾厅 出示登机牌和卡片就可以 不用预约"], "太好了 谢谢你们"),
    ("inquiry", "cross_border", ["你好 我下周去{c} 我这张卡在那边能用吗 要不要开通什么"],
     ["您好 您的卡支持境外使用 建议在APP里开通境外交易", "另外记得保留好消费小票"], "好的 明白了"),
    ("inquiry", "cross_border", ["请问给在{c}读书的孩子汇学费 跨境汇款要准备什么材料"],
     ["您好 需要录取通知书和学费单 可以在网点或者手机银行办理"], "嗯 手机上能办就方便了"),
    ("complaint", "domestic", ["我打了三次电话了 每次都说有人回电 结果一个都没有", "你们到底有没有人管"],
     ["非常抱歉 我这边帮您升级处理", "会有专员在今天下午五点前联系您"], "再不给答复我就投诉到银保监会"),
    ("complaint", "domestic", ["我就想说一下 你们那个网点的工作人员态度太差了", "我问个问题 她头都不抬"],
     ["非常抱歉给您不好的体验", "我这边记录下来反馈给网点负责人"], "希望你们真的改一改"),
    ("complaint", "innovation", ["你们这个APP怎么回事 一更新就闪退 打都打不开", "我付款码都调不出来 在超市排队好尴尬"],
     ["您好 非常抱歉 新版本有部分机型闪退 技术正在修复", "您可以先卸载重装旧版本"], "什么破APP 一点都不靠谱"),
    ("other", "domestic", ["你好 我就是想表扬一下上次帮我处理盗刷的那个客服 特别耐心"],
     ["谢谢您的肯定 我们会转达给同事"], "真的很感谢"),
    ("other", "domestic", ["喂 喂 听得到吗", "喂"], ["您好 请问有什么可以帮您"], "哦 打错了 不好意思"),
    ("other", "innovation", ["我有个建议 你们APP能不能加个夜间模式 晚上看太刺眼了"],
     ["感谢您的建议 我们会反馈给产品部门"], "好的 希望能加上"),
]
# Short texts for SMS and Weibo: (category, business line, text).
TEXTS = [
    ("transaction_error", "domestic", "信用卡在{m}重复扣款{a}元，请尽快处理退回。"),
    ("transaction_error", "domestic", "退款{a}元已经7天了还没到账，到底怎么回事？"),
    ("transaction_error", "innovation", "@钱包APP 扫码付了{a}元商家说没收到，钱却扣了，你们自己看着办吧"),
    ("transaction_error", "cross_border", "在{c}刷卡被多收了货币转换费，账单金额和小票对不上"),
    ("transaction_error", "domestic", "年费又扣了！说好的免年费呢？#银行乱扣费#"),
    ("inquiry", "domestic", "请问信用卡临时额度怎么申请？"),
    ("inquiry", "innovation", "白金卡积分可以兑换里程吗？"),
    ("inquiry", "cross_border", "境外消费退税是退到卡里吗，大概多久？"),
    ("complaint", "domestic", "打你们客服电话排队四十分钟，没人接，服务真是一流呵呵"),
    ("complaint", "innovation", "新版APP闪退三次了，付款码都打不开，再这样就销户"),
    ("complaint", "domestic", "网点排队两个小时只开一个窗口，太离谱了，要投诉到12315"),
    ("other", "domestic", "谢谢客服小姐姐，问题解决了，点赞！"),
    ("other", "innovation", "建议APP增加账单导出功能，方便记账"),
    ("other", "domestic", "恭喜发财，红包拿来"),
]
# 2026-11-06 10:00-12:30: the new wallet-app release.
INCIDENT = [
    ("complaint", "新版APP一打开就闪退，付款码调不出来，收银员都等急了"),
    ("transaction_error", "更新APP以后扫码付了{a}，闪退了一下，结果扣了两次钱"),
    ("transaction_error", "新版钱包APP重复扣款！同一笔{a}扣了两遍，赶紧退！"),
    ("complaint", "你们新版APP是没测试就上线的吗？闪退闪退闪退"),
]
PII = ["我的电话是13912345678，请回电", "我的卡号是6222021234567890128", "邮箱 zhang.wei@example.com",
       "我车牌是苏C12345，停车费扣了两次"]


def fill(text: str, rng: random.Random) -> str:
    return text.format(m=rng.choice(MERCHANTS), a=rng.choice(AMOUNTS), c=rng.choice(ABROAD))


def call_turns(scenario, rng: random.Random, agent: str, chat: bool) -> list[dict]:
    _, _, customer, agent_lines, closing = scenario
    turns, clock = [], 0.0
    speakers = ("客户", "客服" if chat else "坐席")
    script = [(speakers[1], "您好，请问有什么可以帮您" if chat else "您好 很高兴为您服务 请问有什么可以帮您")]
    for i, line in enumerate(customer):
        script.append((speakers[0], fill(line, rng)))
        if i < len(agent_lines):
            script.append((speakers[1], agent_lines[i]))
    for line in agent_lines[len(customer):]:
        script.append((speakers[1], line))
    last = closing
    if agent == "A07" and rng.random() < 0.6:  # the curt agent
        script.append((speakers[1], "规定就是这样 我也没办法"))
        last = "你这什么态度 我要投诉你"
    script.append((speakers[0], last))
    if chat:
        script = [(s, t.replace(" ", "，")) for s, t in script]
    for speaker, text in script:
        duration = round(1.0 + len(text) * 0.22, 1)
        turns.append({"speaker": speaker, "text": text, "start": round(clock, 1), "end": round(clock + duration, 1)})
        clock += duration + round(rng.uniform(0.3, 1.5), 1)
    return turns


def main() -> None:
    rng = random.Random(20261102)
    records = []
    start = datetime(2026, 11, 2)
    for day in range(7):
        date = start + timedelta(days=day)
        weekend = date.weekday() >= 5
        for _ in range(44 if not weekend else 36):
            moment = date + timedelta(hours=rng.choice(range(8, 22)), minutes=rng.randrange(60), seconds=rng.randrange(60))
            if rng.random() < 0.03:
                moment = date + timedelta(hours=rng.choice([0, 1, 2, 23]), minutes=rng.randrange(60))
            channel = rng.choices(["phone", "chat", "sms", "weibo"], [45, 25, 15, 15])[0]
            records.append(contact(rng, moment, channel, cross_border_bias=weekend))
    incident_day = datetime(2026, 11, 6, 10, 0)
    for _ in range(34):
        moment = incident_day + timedelta(minutes=rng.randrange(150), seconds=rng.randrange(60))
        category, text = rng.choice(INCIDENT)
        channel = rng.choice(["phone", "chat", "weibo", "sms"])
        record = {"channel": channel, "business_line": "innovation",
                  "agent_id": rng.choice(AGENTS) if channel in ("phone", "chat") else None,
                  "started_at": moment.strftime("%Y-%m-%dT%H:%M:%S+08:00")}
        if channel in ("phone", "chat"):
            record["turns"] = call_turns((category, "innovation", [text], ["非常抱歉 新版本的问题我们正在紧急修复",
                                                                             "重复扣款会在三个工作日内自动退回"],
                                          "赶紧修吧 太耽误事了"), rng, record["agent_id"], channel == "chat")
        else:
            record["text"] = fill(text, rng)
        records.append(record)
    records += awkward(rng)
    records.sort(key=lambda r: r["started_at"])
    for i, record in enumerate(records, start=1):
        record["id"] = f"S-{i:04d}"
    write(records)


def contact(rng: random.Random, moment: datetime, channel: str, cross_border_bias: bool) -> dict:
    record = {"channel": channel, "started_at": moment.strftime("%Y-%m-%dT%H:%M:%S+08:00")}
    if channel in ("phone", "chat"):
        pool = [c for c in CALLS if not cross_border_bias or rng.random() < 0.5 or c[1] == "cross_border"]
        weights = [{"transaction_error": 42, "inquiry": 23, "complaint": 10, "other": 25}[c[0]] for c in pool]
        scenario = rng.choices(pool, weights)[0]
        record["business_line"] = scenario[1]
        record["agent_id"] = rng.choice(AGENTS)
        record["turns"] = call_turns(scenario, rng, record["agent_id"], channel == "chat")
        if rng.random() < 0.04:
            record["turns"][1]["text"] += " " + rng.choice(PII)
    else:
        category, line, text = rng.choices(TEXTS, [42 if t[0] == "transaction_error" else 20 for t in TEXTS])[0]
        record.update(business_line=line, agent_id=None, text=fill(text, rng))
        if rng.random() < 0.05:
            record["text"] += rng.choice(PII)
    return record


def awkward(rng: random.Random) -> list[dict]:
    """Records that exercise normalisation: one character, traditional script, full-width digits, emoji."""
    base = {"business_line": "domestic", "agent_id": None}
    texts = [("sms", "？"), ("weibo", "@招商銀行 信用卡被重複扣款了，客服電話一直打不通，太失望了"),
             ("sms", "退款１２８元還沒到賬，訂單號２０２６１１０３１２３４"), ("weibo", "终于退款到账了😊👍 谢谢"),
             ("sms", "多扣了我３００元！！！")]
    return [{**base, "channel": channel, "text": text,
             "started_at": f"2026-11-0{rng.randint(2, 8)}T{rng.randint(9, 20):02d}:{rng.randint(0, 59):02d}:00+08:00"}
            for channel, text in texts]


def write(records: list[dict]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "contacts.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            ordered = {"id": record["id"], **{k: v for k, v in record.items() if k != "id"}}
            handle.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    with (OUT / "complaints.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "channel", "business_line", "started_at"])
        for r in records:
            if "text" in r:
                writer.writerow([r["id"], r["text"], r["channel"], r["business_line"], r["started_at"]])
    with (OUT / "utterances.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["call_id", "seq", "speaker", "text", "start", "end", "agent_id", "started_at"])
        calls = [r for r in records if r["channel"] == "phone"][:40]
        for r in calls:
            for seq, turn in enumerate(r["turns"], start=1):
                writer.writerow([r["id"], seq, turn["speaker"], turn["text"], turn["start"], turn["end"],
                                 r["agent_id"], r["started_at"]])
    print(f"wrote {len(records)} contacts to {OUT}")


if __name__ == "__main__":
    main()
