"""`starbook` command line: each command is a thin wrapper over ``starbook.api``.

Exit status (CONTRACT.md): 0 done; 1 the workbook has problems, each listed with
sheet, cell and fix; 2 the command or the file cannot be used at all.
"""
from __future__ import annotations

import difflib
import sys
import unicodedata
from pathlib import Path

import click

from . import __version__, api
from .problems import BookError, Problem
from .ratebook import Outcome
from .scheme import PENDING, STARS
from .shell import crash_log

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


_BIDI = set("\u061c\u200e\u200f\u2028\u2029") | set(map(chr, range(0x202A, 0x202F))) | set(map(chr, range(0x2066, 0x206A)))


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␍ for CR, ␇ for BEL …
    if code == 0x7F:
        return "\u2421"
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


def safe(text: str) -> str:
    """Workbook text fit for a terminal: control characters and bidi overrides are shown, not obeyed."""
    if text.isprintable() and not _BIDI.intersection(text):
        return text
    return "".join(_visible(ch) if unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI else ch for ch in text)


def table(rows: list[list[str]]) -> str:
    """Rows aligned for a terminal, counting a Chinese character as two columns."""
    rows = [[safe(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _problems(problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity == "错误"]
    warnings = [p for p in problems if p.severity != "错误"]
    if errors:
        click.echo(f"发现 {len(errors)} 处问题，未写入任何内容：", err=True)
        for i, p in enumerate(errors, 1):
            click.echo(f"  {i}. {safe(str(p))}", err=True)
    if warnings:
        click.echo(f"提示 {len(warnings)} 条：", err=True)
        for p in warnings:
            click.echo(f"  - {safe(str(p))}", err=True)


MAX_LISTED = 30  # adjusted organizations listed on the console; the 汇总表 has them all


def _summary(outcome: Outcome) -> None:
    rating = outcome.rating
    assert rating is not None and outcome.scheme is not None
    total = len(rating)
    click.echo(f"方案：{safe(outcome.scheme.preset)}    党组织：{total} 个")
    rows = [["星级", "个数"]]
    for star in (*STARS, PENDING):
        n = rating.counts.get(star, 0)
        if star != PENDING or n:
            rows.append([star, str(n)])
    click.echo(table(rows))
    names, finals, bases, stars, notes = (rating.column(c) for c in ("name", "final", "base_star", "star", "notes"))
    changed = [i for i in range(total) if stars[i] != bases[i] or notes[i]]
    if changed:
        moved = rating.changed
        noted = len(changed) - moved  # a remark without a change of star (e.g. a turnout note)
        click.echo(f"\n调整 {moved} 个，另有说明 {noted} 条：" if noted else f"\n调整 {moved} 个：")
        rows = [["党组织", "综合得分", "初定星级", "星级", "调整说明"]]
        for i in changed[:MAX_LISTED]:
            rows.append([names[i], "" if finals[i] is None else format(finals[i], "f"), bases[i], stars[i], "；".join(notes[i])])
        click.echo(table(rows))
        if len(changed) > MAX_LISTED:
            click.echo(f"……另有 {len(changed) - MAX_LISTED} 个，见汇总表“调整说明”列")
    targets = [*rating.distribution, *rating.upgrades]
    if targets:
        click.echo("\n目标（只作报告）：")
        rows = [["目标", "要求", "实际", "结果"]]
        for t in targets:
            rows.append([t.label, t.requirement, f"{t.count}/{t.base}（{t.ratio_text}）", ("达到" if t.met else "未达到") if t.base else "无此类"])
        click.echo(table(rows))


class UsageProblem(click.UsageError):
    """A usage error whose message is already Chinese."""


HELP_WORDS = {"Options": "选项", "Commands": "命令", "Positional arguments": "参数"}
HELP_EXTRAS = (("[required]", "[必填]"), ("[default: ", "[默认："))


class ChineseHelp(click.HelpFormatter):
    """click's help layout with its English headings said in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="用法：")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HELP_WORDS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        def chinese(text: str) -> str:
            for english, zh in HELP_EXTRAS:
                text = text.replace(english, zh)
            return text

        super().write_dl([(term, chinese(text)) for term, text in rows], col_max, col_spacing)


class ChineseContext(click.Context):
    formatter_class = ChineseHelp


class ChineseHelpOption:
    """-h/--help said in Chinese, with [选项] in the usage line."""

    context_class = ChineseContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出"
        return option


class ChineseCommand(ChineseHelpOption, click.Command):
    """A command that reports extra arguments in Chinese (click's message is English)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.allow_extra_args = True
        rest = super().parse_args(ctx, args)
        if ctx.args:
            raise UsageProblem(f"多余的参数：{' '.join(ctx.args)}", ctx)
        return rest


class ChineseGroup(ChineseHelpOption, click.Group):
    """The command group: unknown and missing commands reported in Chinese."""

    command_class = ChineseCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:
            raise UsageProblem(f"没有指定命令（可用：{'、'.join(self.list_commands(ctx))}）", ctx)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, self.list_commands(ctx), 1)
            hint = f"，是不是要用 {close[0]}" if close else f"（可用：{'、'.join(self.list_commands(ctx))}）"
            raise UsageProblem(f"没有“{name}”这个命令{hint}", ctx)
        return super().resolve_command(ctx, args)


class WholeNumber(click.ParamType):
    name = "integer"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            self.fail(f"“{value}”不是整数", param, ctx)


class FileName(click.ParamType):
    """A file name, checked by api (which says in Chinese what is wrong with it)."""

    name = "path"

    def convert(self, value, param, ctx):
        if isinstance(value, Path):
            return value
        if not str(value).strip():
            self.fail("文件名是空的", param, ctx)
        return Path(value)


INT, FILE = WholeNumber(), FileName()


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]}, subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, "-V", "--version", prog_name="starbook", message="%(prog)s %(version)s", help="显示版本号并退出")
def cli() -> None:
    """starbook：星级党支部评定（量化评分、等次、星级、名额、汇总上报）。"""


@cli.command()
def schemes() -> None:
    """列出预设方案。"""
    rows = [["代码", "方案", "评价主体与权重", "定星方式"]]
    for s in api.schemes():
        weights = "、".join(f"{e.name}{int(e.weight * 100)}%" for e in s.evaluators)
        rows.append([s.preset_id, s.preset, weights, s.star_mode])
    click.echo(table(rows))


@cli.command()
@click.option("--scheme", "scheme", default=None, help="方案中文名或代码，如 分类定级 或 fenlei")
@click.option("--from", "last_year", type=FILE, default=None, help="上一年度已定星的工作簿：按它生成下一年度工作簿（不用 --scheme）")
@click.option("--orgs", type=INT, default=1, help="空白量化评分表张数（默认 1）")
@click.option("--year", type=INT, default=None, help="年度（默认今年）")
@click.option("-o", "--output", "output", required=True, type=FILE, help="新工作簿文件名（.xlsm）")
@click.option("--force", is_flag=True, help="同名文件已存在时覆盖它（其中的内容将全部丢失）")
@click.option("--items", "items", type=FILE, default=None, help="组织部下发的评分细则（.xlsx：类别、维度、评分内容、评分标准、分值，列序不限）")
@click.option("--kind", "kind", default=None, help="空白评分表的类别（用评分细则中这一类的评分项），如 机关事业单位")
def new(scheme: str | None, last_year: Path | None, orgs: int, year: int | None, output: Path, force: bool, items: Path | None, kind: str | None) -> None:
    """按方案生成新工作簿（参数、评分细则、空白评分表、空汇总表）；或用 --from 按上一年度工作簿生成下一年度的。"""
    if last_year is not None:
        if items is not None or kind is not None:
            raise UsageProblem("--from 不能与 --items、--kind 同时使用：新年度沿用上一年度工作簿的评分细则", click.get_current_context())
        _new_from(scheme, last_year, output, force)
        return
    if scheme is None:
        raise UsageProblem("缺少方案（--scheme），或用 --from 指定上一年度工作簿", click.get_current_context())
    table = _load_items(items) if items is not None else None
    path = api.new(scheme, output, orgs=orgs, year=year, overwrite=force, items=table, kind=kind)
    click.echo(f"已生成 {path}（方案：{api.resolve_scheme(scheme).preset}，评分表 {orgs} 张）")
    if table is not None:
        click.echo(f"评分细则取自 {items}：{'、'.join(f'{k}{sum(len(d.items) for d in v)}项' for k, v in table.kinds.items())}")


@cli.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", "output", type=FILE, help="另存为（默认直接写回原文件）")
def rate(file: Path, output: Path | None) -> None:
    """定星：与 Excel 中“定星”按钮完全相同，结果写回工作簿。"""
    outcome = api.rate(file, output)
    _problems(outcome.problems)
    if not outcome.ok:
        sys.exit(EXIT_PROBLEMS)
    _summary(outcome)
    click.echo(f"\n已写入 {output or file}")


@cli.command()
@click.argument("file", type=FILE)
def check(file: Path) -> None:
    """只校验，列出全部问题，不改动文件。"""
    outcome = api.check(file)
    _problems(outcome.problems)
    if not outcome.ok:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"校验通过：{len(outcome.names)} 个党组织可以定星。")


@cli.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", "output", required=True, type=FILE, help="PDF 文件名")
@click.option("--all", "all_sheets", is_flag=True, help="同时输出汇总表和整改名单")
def publish(file: Path, output: Path, all_sheets: bool) -> None:
    """公示（加 --all 还有汇总表、整改名单）生成 PDF，需要 LibreOffice；不改动工作簿。"""
    problems = api.publish(file, output, all_sheets=all_sheets)
    _problems(problems)
    if problems:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"已生成 {output}")


@cli.command()
@click.argument("file", type=FILE)
@click.argument("exports", nargs=-1, required=True, type=FILE)
@click.option("--add", is_flag=True, help="与评分表上已有的票数相加（默认：替换为本次导入的票数）")
@click.option("--evaluator", "evaluator", default=None, help="票决的评价主体（方案有不止一个时必填，如 党员评）")
@click.option("-o", "--output", "output", type=FILE, help="另存为（默认直接写回原文件）")
def ballots(file: Path, exports: tuple[Path, ...], add: bool, evaluator: str | None, output: Path | None) -> None:
    """导入测评票：从问卷星/腾讯问卷导出文件或计票表填写评分表上的测评票数。"""
    outcome = api.ballots(file, list(exports), output, add=add, evaluator=evaluator)
    _problems(outcome.problems)
    if not outcome.ok:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"测评主体：{outcome.evaluator}    {'与已有票数相加' if outcome.added else '替换评分表上原有的票数'}")
    rows = [["文件", "格式", "票数/行数", "不计"]]
    rows += [[f.name, f.fmt, str(f.ballots), str(f.rejected)] for f in outcome.files]
    click.echo(table(rows))
    rows = [["党组织", "评分表", *outcome.options, "实际参评人数"]]
    rows += [[o.name, o.sheet, *(str(o.counts[x]) for x in outcome.options), str(o.voted)] for o in outcome.orgs]
    click.echo("\n" + table(rows))
    click.echo(f"\n已写入 {output or file}。请运行 starbook rate 重新定星。")


@cli.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", "output", type=FILE, help="另存为（默认直接写回原文件）")
def forms(file: Path, output: Path | None) -> None:
    """生成评分表：为汇总表中每个党组织（名称、类别已填）按其类别的评分细则生成一张评分表。"""
    path, problems = api.forms(file, output)
    _problems(problems)
    if path is None:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"已生成评分表，写入 {path}")


def _load_items(path: Path):
    """The 评分细则 file for `new --items`, or its problems and exit status 1."""
    table, problems = api.load_items(path)
    _problems(problems)
    if table is None:
        click.echo("评分细则有误，未生成工作簿。", err=True)
        sys.exit(EXIT_PROBLEMS)
    return table


def _new_from(scheme: str | None, last_year: Path, output: Path, force: bool) -> None:
    """new --from: next year's workbook from last year's rated one."""
    if scheme is not None:
        raise UsageProblem("--from 与 --scheme 不能同时使用：新年度沿用上一年度工作簿的参数", click.get_current_context())
    path, problems = api.new_from(last_year, output, overwrite=force)
    _problems(problems)
    if path is None:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"已生成 {path}（按 {last_year.name}：同样的党组织和参数，上年星级取上一年度星级）")


@cli.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", "output", required=True, type=FILE, help="存放各支部工作簿的文件夹（不存在时新建）")
@click.option("--force", is_flag=True, help="文件夹中已有同名工作簿时覆盖它们")
def distribute(file: Path, output: Path, force: bool) -> None:
    """分发评分表：为每个党组织生成一个支部填报工作簿（它的评分表和党委的参数），写入文件夹。"""
    written, problems = api.distribute(file, output, overwrite=force)
    _problems(problems)
    if not written:
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"已在 {output} 中生成 {len(written)} 个支部工作簿：")
    for path in written:
        click.echo(f"  {safe(path.name)}")


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="文件或文件夹...")
@click.option("-o", "--output", "output", required=True, type=FILE, help="汇总工作簿（不存在则新建；已存在则更新其汇总表）")
@click.option("--scheme", "scheme", default=None, help="新建汇总工作簿时所用方案（默认取上报工作簿中最多的方案）")
@click.option("--rerate", is_flag=True, help="按汇总工作簿的方案和名额对全部党组织统一重新定星")
def collect(inputs: tuple[Path, ...], output: Path, scheme: str | None, rerate: bool) -> None:
    """汇总下级：把支部或乡镇（党委）报来的工作簿（文件或文件夹）汇总到一个工作簿，逐一核对。"""
    from .collect.progress import terminal_bar

    with terminal_bar() as bar:
        result = api.collect(list(inputs), output, scheme=scheme, rerate=rerate, progress=bar)
    for i, f in enumerate(result.findings, 1):
        click.echo(f"  {i}. {safe(str(f))}", err=True)
    if not result.written:
        click.echo(f"没有可以汇总的工作簿（共发现 {len(result.findings)} 处问题），未写入 {output}。", err=True)
        sys.exit(EXIT_UNUSABLE)
    if rerate:
        click.echo(f"已按汇总工作簿的方案和名额统一重新定星，{len(result.changes)} 个党组织的星级与其党委的决定不同：" if result.changes else "已按汇总工作簿的方案和名额统一重新定星，星级与各党委的决定一致。")
        if result.changes:
            rows = [["上报单位", "党组织", "党委决定", "重新定星"], *map(list, result.changes[:MAX_LISTED])]
            click.echo(table(rows))
            if len(result.changes) > MAX_LISTED:
                click.echo(f"……另有 {len(result.changes) - MAX_LISTED} 个，见汇总表“调整说明”列")
    units = sorted({b.unit for b in result.books})
    parts = []
    if result.committees:
        parts.append(f"汇总表共 {result.organizations} 个党组织")
    if result.branches:
        parts.append(f"支部评分表汇入 {result.forms} 张")
    click.echo(f"已汇总 {len(result.books)} 个工作簿（上报单位 {len(units)} 个），{'，'.join(parts)}，写入 {output}")
    if result.flagged:
        click.echo(f"发现 {len(result.findings)} 处问题，已列在上面和汇总工作簿的“问题清单”中。", err=True)
        sys.exit(EXIT_PROBLEMS)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes a Chinese message and an exit status."""
    try:
        cli.main(args=argv, prog_name="starbook", standalone_mode=False)
        return EXIT_OK
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.exceptions.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "starbook"
        click.echo(f"命令用法有误：{usage_message(exc)}。请运行 {command} --help 查看用法。", err=True)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
    except BookError as exc:
        click.echo(f"无法处理：{safe(str(exc))}", err=True)
    except KeyboardInterrupt:
        click.echo("已中断，文件未改动。", err=True)
    except Exception:  # never a traceback at a cadre: keep it in a log file instead
        log = crash_log()
        click.echo(f"starbook 内部错误，文件未改动。详细信息已保存到 {log}，请把它和工作簿发给技术支持。", err=True)
    return EXIT_UNUSABLE


PARAM_NAMES = {"inputs": "要汇总的工作簿或文件夹", "file": "工作簿文件名", "output": "输出文件名（-o）", "scheme": "方案（--scheme）", "exports": "测评文件名"}


def _param(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    return PARAM_NAMES.get(param.name or "", param.human_readable_name)


def usage_message(exc: click.exceptions.UsageError) -> str:
    """click's usage errors in Chinese: its own messages are English."""
    if isinstance(exc, UsageProblem):
        return exc.message
    if isinstance(exc, click.exceptions.MissingParameter):
        return f"缺少{PARAM_NAMES.get(exc.param.name or '', _param(exc.param)) if exc.param else '参数'}"
    if isinstance(exc, click.exceptions.BadParameter):  # our parameter types fail in Chinese
        return f"{_param(exc.param)} 的值有误：{exc.message}"
    if isinstance(exc, click.exceptions.NoSuchOption):
        close = f"，是不是要用 {exc.possibilities[0]}" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{close}"
    if isinstance(exc, click.exceptions.BadOptionUsage):
        if "does not take a value" in exc.message:
            return f"选项 {exc.option_name} 后面不能跟值"
        return f"选项 {exc.option_name} 后面缺少值"
    return "命令的写法不对"


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
