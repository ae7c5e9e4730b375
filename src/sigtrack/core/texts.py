"""Every text shown to users, in Indonesian (default, the old tracker's labels) and English."""

from __future__ import annotations

from sigtrack.core.errors import InvalidInput
from sigtrack.core.lang import Lang
from sigtrack.core.texts_bot import BOT_TEXTS
from sigtrack.core.texts_dashboard import DASHBOARD_TEXTS

__all__ = [
    "GENERAL_TEXTS",
    "NO_VALUE",
    "SMALL_SAMPLE",
    "TEXTS",
    "Lang",
    "format_pct",
    "parse_lang",
    "text",
]  # fmt: skip  (Lang re-exported: callers take it from here)

NO_VALUE = "—"


GENERAL_TEXTS: dict[str, dict[Lang, str]] = {
    "winrate.title": {
        Lang.ID: "📊 WINRATE SIGNAL ({days} HARI)",
        Lang.EN: "📊 SIGNAL WINRATE ({days} DAYS)",
    },
    "winrate.stats": {Lang.ID: "📈 STATISTIK:", Lang.EN: "📈 STATISTICS:"},
    "winrate.total": {Lang.ID: "• Total Signal: {n}", Lang.EN: "• Total Signals: {n}"},
    "winrate.wins": {Lang.ID: "• Win: {n} ✅", Lang.EN: "• Win: {n} ✅"},
    "winrate.losses": {Lang.ID: "• Loss: {n} ❌", Lang.EN: "• Loss: {n} ❌"},
    "winrate.rate": {Lang.ID: "• Winrate: {rate} 🎯", Lang.EN: "• Winrate: {rate} 🎯"},
    "winrate.interval": {
        Lang.ID: "• Interval 95%: {low} – {high}",
        Lang.EN: "• 95% interval: {low} – {high}",
    },
    "winrate.avg_pnl": {Lang.ID: "• Avg PnL: {pnl}", Lang.EN: "• Avg PnL: {pnl}"},
    "winrate.expired": {Lang.ID: "• Expired: {n} ⌛", Lang.EN: "• Expired: {n} ⌛"},
    "winrate.breakeven": {Lang.ID: "• Breakeven: {n} ➖", Lang.EN: "• Breakeven: {n} ➖"},
    "winrate.cancelled": {
        Lang.ID: "• Dibatalkan (tidak termasuk total): {n}",
        Lang.EN: "• Cancelled (not in the total): {n}",
    },
    "winrate.open": {
        Lang.ID: "⏳ Masih aktif (belum dihitung): {n}",
        Lang.EN: "⏳ Still open (not counted): {n}",
    },
    "winrate.small_sample": {
        Lang.ID: "⚠️ Sampel kecil ({n} signal selesai): angka masih bisa berubah jauh.",
        Lang.EN: "⚠️ Small sample ({n} settled signals): the rate can still move a lot.",
    },
    "winrate.nothing": {
        Lang.ID: "Belum ada signal WIN/LOSS pada periode ini.",
        Lang.EN: "No WIN/LOSS signals in this period yet.",
    },
    "winrate.period": {
        Lang.ID: "🗓 {since} – {until} ({zone})",
        Lang.EN: "🗓 {since} – {until} ({zone})",
    },
    "settle.summary": {
        Lang.ID: "🔎 {checked} signal aktif dicek ({symbols} koin): {closed} selesai, "
        "{hits} TP tercapai, {open} masih aktif.",
        Lang.EN: "🔎 {checked} open signals checked ({symbols} coins): {closed} closed, "
        "TP hits: {hits}, {open} still open.",
    },
    "settle.results": {
        Lang.ID: "   {wins} win, {losses} loss, {expired} kedaluwarsa; "
        "selesai dalam {seconds} dtk.",
        Lang.EN: "   {wins} wins, {losses} losses, {expired} expired; done in {seconds} s.",
    },
    "settle.elsewhere": {
        Lang.ID: "   {count} koin lain diselesaikan monitor lain pada putaran ini.",
        Lang.EN: "   {count} other coins settled by other monitors this pass.",
    },
    "settle.more": {
        Lang.ID: "… dan {count} lainnya (--json memuat semuanya)",
        Lang.EN: "… and {count} more (--json lists them all)",
    },
    "settle.closed": {
        Lang.ID: "• {signal_id}: {result} ({reason}) PnL {pnl} pada {at}{ambiguous}",
        Lang.EN: "• {signal_id}: {result} ({reason}) PnL {pnl} at {at}{ambiguous}",
    },
    "settle.tp_hit": {
        Lang.ID: "• {signal_id}: TP{target} tercapai pada {at}",
        Lang.EN: "• {signal_id}: TP{target} reached at {at}",
    },
    "settle.ambiguous": {
        Lang.ID: " ⚠️ candle ambigu ({rule})",
        Lang.EN: " ⚠️ ambiguous candle ({rule})",
    },
    "settle.failed": {
        Lang.ID: "⚠️ {symbol}: candle tidak terbaca kali ini: {reason}",
        Lang.EN: "⚠️ {symbol}: no candles this pass: {reason}",
    },
    "settle.rule": {Lang.ID: "Aturan: {rule}", Lang.EN: "Rule: {rule}"},
    "stats.title": {
        Lang.ID: "📊 PERFORMA PER {by} ({since} – {until}, {zone})",
        Lang.EN: "📊 PERFORMANCE BY {by} ({since} – {until}, {zone})",
    },
    "stats.too_few": {Lang.ID: "terlalu sedikit", Lang.EN: "too few"},
    "stats.best": {Lang.ID: "🏆 Terbaik: {keys}", Lang.EN: "🏆 Best: {keys}"},
    "stats.worst": {Lang.ID: "⚠️ Terburuk: {keys}", Lang.EN: "⚠️ Worst: {keys}"},
    "stats.ranking": {
        Lang.ID: "Peringkat menurut batas interval 95%, minimal {n} signal WIN/LOSS per baris.",
        Lang.EN: "Ranked by the 95% interval's bounds, at least {n} WIN/LOSS signals a row.",
    },
    "compare.title": {Lang.ID: "⚖️ PERBANDINGAN A vs B", Lang.EN: "⚖️ COMPARISON A vs B"},
    "compare.side": {
        Lang.ID: "{side} ({filter}): {wins} win / {losses} loss, winrate {rate} "
        "({low} – {high}), avg PnL {pnl}, ekspektasi {r}",
        Lang.EN: "{side} ({filter}): {wins} win / {losses} loss, winrate {rate} "
        "({low} – {high}), avg PnL {pnl}, expectancy {r}",
    },
    "compare.tests": {
        Lang.ID: "Selisih winrate (B − A): {diff}, p Fisher = {p}; selisih PnL rata-rata: "
        "{pnl} (interval 95%: {pnl_ci})",
        Lang.EN: "Winrate difference (B − A): {diff}, Fisher p = {p}; mean PnL difference: "
        "{pnl} (95% interval: {pnl_ci})",
    },
    "compare.verdict": {Lang.ID: "Kesimpulan: {verdict}", Lang.EN: "Verdict: {verdict}"},
    "verdict.B is better": {Lang.ID: "{b} lebih baik", Lang.EN: "{b} is better"},
    "verdict.A is better": {Lang.ID: "{a} lebih baik", Lang.EN: "{a} is better"},
    "side.this_week": {Lang.ID: "minggu ini", Lang.EN: "this week"},
    "side.last_week": {Lang.ID: "minggu lalu", Lang.EN: "last week"},
    "verdict.no detectable difference": {
        Lang.ID: "tidak ada perbedaan yang terdeteksi",
        Lang.EN: "no detectable difference",
    },
    "verdict.not enough data": {
        Lang.ID: "data belum cukup",
        Lang.EN: "not enough data",
    },
    "verdict.more": {
        Lang.ID: "data belum cukup: kira-kira {n} signal lagi per sisi untuk power 80% "
        "pada efek sebesar ini",
        Lang.EN: "not enough data: about {n} more signals per side for 80% power at this "
        "effect size",
    },
    "advice.title": {Lang.ID: "💡 REKOMENDASI", Lang.EN: "💡 RECOMMENDATIONS"},
    "advice.none": {
        Lang.ID: "Tidak ada rekomendasi: tidak ada yang jelas lebih baik atau lebih buruk.",
        Lang.EN: "No recommendation: nothing is clearly better or worse.",
    },
    "advice.not_enough_data": {
        Lang.ID: "Data belum cukup untuk memberi saran: {n} signal selesai, "
        "perlu minimal {needed}.",
        Lang.EN: "Not enough data to advise: {n} settled signals, at least {needed} needed.",
    },
    "advice.confidence_threshold": {
        Lang.ID: "Kirim hanya signal dengan confidence ≥ {threshold}: {n} signal, winrate "
        "{winrate}, ekspektasi {expectancy} (semua: {baseline_n} signal, {baseline_expectancy}).",
        Lang.EN: "Send only signals with confidence ≥ {threshold}: {n} signals, winrate "
        "{winrate}, expectancy {expectancy} (all: {baseline_n} signals, {baseline_expectancy}).",
    },
    "advice.exclude": {
        Lang.ID: "Pertimbangkan untuk berhenti mengirim {subject}: ekspektasi {expectancy} "
        "(interval 95%: {interval_low} … {interval_high}) dari {n} signal.",
        Lang.EN: "Consider no longer sending {subject}: expectancy {expectancy} "
        "(95% interval: {interval_low} … {interval_high}) over {n} signals.",
    },
    "report.title": {
        Lang.ID: "📋 LAPORAN MINGGUAN SIGNAL — {week}",
        Lang.EN: "📋 WEEKLY SIGNAL REPORT — {week}",
    },
    "report.period": {
        Lang.ID: "🗓 {since} – {until} ({zone})",
        Lang.EN: "🗓 {since} – {until} ({zone})",
    },
    "report.empty": {
        Lang.ID: "Tidak ada signal yang dibuat minggu ini.",
        Lang.EN: "No signals were created this week.",
    },
    "report.performance": {Lang.ID: "📈 PERFORMA SIGNAL", Lang.EN: "📈 SIGNAL PERFORMANCE"},
    "report.totals": {
        Lang.ID: "• Total: {total} selesai ({wins} win, {losses} loss, {expired} expired, "
        "{breakeven} breakeven) · {open} aktif · {cancelled} dibatalkan",
        Lang.EN: "• Total: {total} closed ({wins} win, {losses} loss, {expired} expired, "
        "{breakeven} breakeven) · {open} open · {cancelled} cancelled",
    },
    "report.winrate": {
        Lang.ID: "• Winrate: {rate} (interval 95%: {low} – {high}) · ketat: {strict}",
        Lang.EN: "• Winrate: {rate} (95% interval: {low} – {high}) · strict: {strict}",
    },
    "report.pnl": {
        Lang.ID: "• PnL: rata-rata {avg}, median {median}, total {total} · drawdown maks {dd}",
        Lang.EN: "• PnL: mean {avg}, median {median}, total {total} · max drawdown {dd}",
    },
    "report.edge": {
        Lang.ID: "• Ekspektasi: {r} · profit factor: {pf} · winrate impas: {be}",
        Lang.EN: "• Expectancy: {r} · profit factor: {pf} · break-even winrate: {be}",
    },
    "report.vs_week": {
        Lang.ID: "• vs minggu lalu: winrate {prev} → {now} ({verdict})",
        Lang.EN: "• vs last week: winrate {prev} → {now} ({verdict})",
    },
    "report.vs_strategy": {
        Lang.ID: "• Strategi {previous} → {current}: winrate {prev} → {now} ({verdict})",
        Lang.EN: "• Strategy {previous} → {current}: winrate {prev} → {now} ({verdict})",
    },
    "report.analysis": {Lang.ID: "🔍 ANALISIS", Lang.EN: "🔍 ANALYSIS"},
    "report.best": {Lang.ID: "• Koin terbaik: {rows}", Lang.EN: "• Best coins: {rows}"},
    "report.worst": {Lang.ID: "• Koin terburuk: {rows}", Lang.EN: "• Worst coins: {rows}"},
    "report.no_ranking": {
        Lang.ID: "• Belum ada koin dengan minimal {n} signal WIN/LOSS untuk diperingkat.",
        Lang.EN: "• No coin has the {n} WIN/LOSS signals needed to be ranked yet.",
    },
    "report.sides": {Lang.ID: "• LONG vs SHORT: {rows}", Lang.EN: "• LONG vs SHORT: {rows}"},
    "report.tags": {Lang.ID: "• Per tag: {rows}", Lang.EN: "• By tag: {rows}"},
    "report.timeframes": {Lang.ID: "• Per timeframe: {rows}", Lang.EN: "• By timeframe: {rows}"},
    "report.confidence": {
        Lang.ID: "• Per confidence: {rows}",
        Lang.EN: "• By confidence: {rows}",
    },
    "report.activity": {Lang.ID: "👥 AKTIVITAS USER", Lang.EN: "👥 USER ACTIVITY"},
    "report.activity_total": {
        Lang.ID: "• {total} perintah dari {users} user",
        Lang.EN: "• {total} commands from {users} users",
    },
    "report.activity_top": {
        Lang.ID: "• Perintah terbanyak: {rows}",
        Lang.EN: "• Most used: {rows}",
    },
    "whatif.title": {
        Lang.ID: "🧪 WHAT-IF TP/SL ({signals} signal; dipilih pada 60% awal, dinilai pada "
        "40% akhir sejak {split})",
        Lang.EN: "🧪 TP/SL WHAT-IF ({signals} signals; chosen on the earlier 60%, judged on "
        "the later 40% from {split})",
    },
    "whatif.recorded": {
        Lang.ID: "Level tercatat pada bagian akhir: rata-rata PnL {pnl} per signal ({n} signal).",
        Lang.EN: "Recorded levels on the later part: mean PnL {pnl} per signal ({n} signals).",
    },
    "whatif.cell": {
        Lang.ID: "• TP {target} / SL {stop}: awal {pnl_in} ({n_in}), akhir {pnl_out} ({n_out}), "
        "untung {share}",
        Lang.EN: "• TP {target} / SL {stop}: earlier {pnl_in} ({n_in}), later {pnl_out} "
        "({n_out}), profitable {share}",
    },
    "whatif.none": {
        Lang.ID: "Data belum cukup: tidak ada sel dengan minimal {n} signal di bagian awal.",
        Lang.EN: "Not enough data: no cell has {n} signals in the earlier part.",
    },
    "advice.tp_sl_whatif": {
        Lang.ID: "Coba TP {target:g}{unit_label} dan SL {stop:g}{unit_label}: dipilih pada "
        "{n_in} signal awal, pada {n_out} signal berikutnya rata-rata {expectancy} per signal "
        "vs {recorded_expectancy} dengan level yang tercatat.",
        Lang.EN: "Try TP {target:g}{unit_label} and SL {stop:g}{unit_label}: chosen on "
        "{n_in} earlier signals, on the {n_out} later ones it made {expectancy} per signal vs "
        "{recorded_expectancy} with the recorded levels.",
    },
    "stats.empty": {
        Lang.ID: "Belum ada signal pada periode ini.",
        Lang.EN: "No signals in this period.",
    },
    "journal.kept": {
        Lang.ID: "⏳ Database tidak terjangkau: dicatat di jurnal, diterapkan saat database "
        "kembali.",
        Lang.EN: "⏳ The database does not answer: kept in the journal, applied when it is back.",
    },
    "journal.backlog": {
        Lang.ID: "📒 Jurnal: {n} operasi menunggu ({signals} signal)",
        Lang.EN: "📒 Journal: {n} operation(s) waiting ({signals} signal(s))",
    },
    "journal.down": {
        Lang.ID: "⚠️ Database tidak terjangkau sejak {since}: {error}",
        Lang.EN: "⚠️ The database has not answered since {since}: {error}",
    },
    "journal.bad": {
        Lang.ID: "⚠️ {n} baris jurnal rusak akan disisihkan",
        Lang.EN: "⚠️ {n} damaged journal line(s) will be set aside",
    },
    "journal.set_aside": {
        Lang.ID: "• baris yang disisihkan: {path}",
        Lang.EN: "• lines set aside: {path}",
    },
    "journal.replayed": {
        Lang.ID: "📒 Jurnal diterapkan: {applied} operasi, {already} sudah ada, {refused} ditolak",
        Lang.EN: "📒 Journal replayed: {applied} applied, {already} already applied, "
        "{refused} refused",
    },
    "journal.line_set_aside": {
        Lang.ID: "• baris {line} disisihkan: {reason}",
        Lang.EN: "• line {line} set aside: {reason}",
    },
    "journal.still_down": {
        Lang.ID: "⚠️ Database masih tidak terjangkau: {error} (sisanya menunggu)",
        Lang.EN: "⚠️ The database still does not answer: {error} (the rest waits)",
    },
    # --- the automatic jobs (services/jobs.py, core/render/jobs.py) -------------------
    "jobs.name.weekly_report": {Lang.ID: "Laporan mingguan", Lang.EN: "Weekly report"},
    "jobs.name.backup": {Lang.ID: "Backup", Lang.EN: "Backup"},
    "jobs.missed": {
        Lang.ID: "⚠️ {job} jadwal {slot} terlewat: sigtrack tidak berjalan sampai {grace_end}.",
        Lang.EN: "⚠️ {job} of {slot} was missed: sigtrack was not running until {grace_end}.",
    },
    "jobs.failed": {
        Lang.ID: "❌ {job} jadwal {slot} gagal setelah {attempts} percobaan: {error}",
        Lang.EN: "❌ {job} of {slot} failed after {attempts} attempts: {error}",
    },
    "jobs.state.running": {Lang.ID: "berjalan", Lang.EN: "running"},
    "jobs.state.done": {Lang.ID: "selesai", Lang.EN: "done"},
    "jobs.state.failed": {Lang.ID: "gagal", Lang.EN: "failed"},
    "jobs.state.missed": {Lang.ID: "terlewat", Lang.EN: "missed"},
    "jobs.line": {
        Lang.ID: "• {job}: {slot} — {state}{extra}",
        Lang.EN: "• {job}: {slot} — {state}{extra}",
    },
    "jobs.never": {Lang.ID: "• {job}: belum pernah", Lang.EN: "• {job}: not run yet"},
}

# one table; the bot's keys all start with "bot.", the dashboard's with "dashboard."
TEXTS = GENERAL_TEXTS | BOT_TEXTS | DASHBOARD_TEXTS

SMALL_SAMPLE = 30


def parse_lang(value: object) -> Lang:
    try:
        return Lang(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("lang", f"must be id or en (got {value!r})") from None


def text(key: str, lang: Lang, **values: object) -> str:
    return TEXTS[key][lang].format(**values)


def format_pct(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    if value is None:
        return NO_VALUE
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"
