"""The Telegram bot's texts (adapters/telegram, core/render/bot.py); `core/texts.py` holds them
with every other text shown to users."""

from __future__ import annotations

from sigtrack.core.lang import Lang

BOT_TEXTS: dict[str, dict[Lang, str]] = {
    "bot.refused": {
        Lang.ID: "⛔ Perintah ini hanya untuk admin.",
        Lang.EN: "⛔ This command is for admins only.",
    },
    "bot.button_refused": {
        Lang.ID: "⛔ Hanya untuk admin.",
        Lang.EN: "⛔ Admins only.",
    },
    "bot.button_unknown": {
        Lang.ID: "Tombol ini tidak dikenal atau sudah tidak berlaku.",
        Lang.EN: "This button is unknown or no longer valid.",
    },
    "bot.error": {
        Lang.ID: "⚠️ Gagal: {reason}",
        Lang.EN: "⚠️ Failed: {reason}",
    },
    "bot.unavailable": {
        Lang.ID: "⚠️ Data tidak bisa dibaca saat ini. Coba lagi sebentar lagi.",
        Lang.EN: "⚠️ The data cannot be read right now. Please try again shortly.",
    },
    "bot.usage.winrate": {
        Lang.ID: "Pakai: /winrate [hari] — hari 1–365, misalnya /winrate 30",
        Lang.EN: "Usage: /winrate [days] — days 1–365, e.g. /winrate 30",
    },
    "bot.usage.weekly_report": {
        Lang.ID: "Pakai: /weekly_report [YYYY-Www] — misalnya /weekly_report 2026-W47",
        Lang.EN: "Usage: /weekly_report [YYYY-Www] — e.g. /weekly_report 2026-W47",
    },
    "bot.usage.stats": {
        Lang.ID: "Pakai: /stats <{keys}> [hari] — misalnya /stats symbol 30",
        Lang.EN: "Usage: /stats <{keys}> [days] — e.g. /stats symbol 30",
    },
    "bot.usage.close": {
        Lang.ID: "Pakai: /close <signal_id> <win|loss|breakeven> [pnl%] [catatan…] "
        "(tambahkan override untuk mengubah signal yang sudah ditutup)",
        Lang.EN: "Usage: /close <signal_id> <win|loss|breakeven> [pnl%] [note…] "
        "(add override to change a closed signal)",
    },
    "bot.usage.cancel": {
        Lang.ID: "Pakai: /cancel <signal_id> [catatan…]",
        Lang.EN: "Usage: /cancel <signal_id> [note…]",
    },
    "bot.usage.feedback": {
        Lang.ID: "Pakai: /feedback [hari] — hari 1–365",
        Lang.EN: "Usage: /feedback [days] — days 1–365",
    },
    "bot.not_found": {
        Lang.ID: "Signal {signal_id} tidak ditemukan.",
        Lang.EN: "No signal {signal_id}.",
    },
    "bot.already_closed": {
        Lang.ID: "Signal {signal_id} sudah ditutup ({result}). Untuk mengubahnya: "
        "/close {signal_id} {suggested} override",
        Lang.EN: "Signal {signal_id} is already closed ({result}). To change it: "
        "/close {signal_id} {suggested} override",
    },
    "bot.closed": {
        Lang.ID: "✅ Signal {signal_id} ditutup: {result}, PnL {pnl} (oleh {actor})",
        Lang.EN: "✅ Signal {signal_id} closed: {result}, PnL {pnl} (by {actor})",
    },
    "bot.cancelled": {
        Lang.ID: "🚫 Signal {signal_id} dibatalkan (oleh {actor})",
        Lang.EN: "🚫 Signal {signal_id} cancelled (by {actor})",
    },
    "bot.help.title": {Lang.ID: "🤖 PERINTAH", Lang.EN: "🤖 COMMANDS"},
    "bot.help.winrate": {
        Lang.ID: "/winrate [hari] — winrate signal (default 7 hari)",
        Lang.EN: "/winrate [days] — signal winrate (7 days by default)",
    },
    "bot.help.signal_stats": {
        Lang.ID: "/signal_stats — status pencatatan signal",
        Lang.EN: "/signal_stats — the state of signal tracking",
    },
    "bot.help.weekly_report": {
        Lang.ID: "/weekly_report [YYYY-Www] — laporan mingguan",
        Lang.EN: "/weekly_report [YYYY-Www] — the weekly report",
    },
    "bot.help.stats": {
        Lang.ID: "/stats <symbol|timeframe|side|tag|strategy|confidence|hour|weekday> [hari] "
        "— performa per kelompok",
        Lang.EN: "/stats <symbol|timeframe|side|tag|strategy|confidence|hour|weekday> [days] "
        "— performance by group",
    },
    "bot.help.open": {
        Lang.ID: "/open — signal yang masih aktif",
        Lang.EN: "/open — the signals still open",
    },
    "bot.help.close": {
        Lang.ID: "/close <signal_id> <win|loss|breakeven> [pnl%] [catatan…] — tutup manual",
        Lang.EN: "/close <signal_id> <win|loss|breakeven> [pnl%] [note…] — close by hand",
    },
    "bot.help.cancel": {
        Lang.ID: "/cancel <signal_id> [catatan…] — batalkan signal",
        Lang.EN: "/cancel <signal_id> [note…] — cancel a signal",
    },
    "bot.help.feedback": {
        Lang.ID: "/feedback [hari] — signal yang diambil vs dilewati penerima",
        Lang.EN: "/feedback [days] — signals receivers took vs skipped",
    },
    "bot.help.upload_logs": {
        Lang.ID: "/upload_logs — backup sekarang (dan verifikasi)",
        Lang.EN: "/upload_logs — back up now (and verify)",
    },
    "bot.help.admin": {Lang.ID: "/admin — panel admin", Lang.EN: "/admin — the admin panel"},
    "bot.help.help": {
        Lang.ID: "/help — daftar perintah ini",
        Lang.EN: "/help — this list",
    },
    "bot.status.title": {
        Lang.ID: "📡 STATUS SIGNAL TRACKING",
        Lang.EN: "📡 SIGNAL TRACKING STATUS",
    },
    "bot.status.open": {Lang.ID: "• Signal aktif: {n}", Lang.EN: "• Open signals: {n}"},
    "bot.status.closed": {Lang.ID: "• Signal selesai: {n}", Lang.EN: "• Closed signals: {n}"},
    "bot.status.today": {
        Lang.ID: "• Signal hari ini: {n} (sejak {since}, {zone})",
        Lang.EN: "• Signals today: {n} (since {since}, {zone})",
    },
    "bot.status.commands": {
        Lang.ID: "• Perintah tercatat: {n}",
        Lang.EN: "• Commands logged: {n}",
    },
    "bot.status.pass": {
        Lang.ID: "• Settling terakhir: {at} ({source}) — {checked} dicek, {closed} selesai "
        "({wins} win, {losses} loss, {expired} kedaluwarsa), {hits} TP, {seconds} dtk",
        Lang.EN: "• Last settling pass: {at} ({source}) — {checked} checked, {closed} closed "
        "({wins} wins, {losses} losses, {expired} expired), {hits} TP hits, {seconds} s",
    },
    "bot.status.pass_failures": {
        Lang.ID: "  ⚠️ {n} koin tanpa candle pada pass itu",
        Lang.EN: "  ⚠️ {n} coins had no candles in that pass",
    },
    "bot.status.no_pass": {
        Lang.ID: "• Settling terakhir: belum pernah",
        Lang.EN: "• Last settling pass: none yet",
    },
    "bot.status.outbox": {
        Lang.ID: "• Pengumuman: {pending} menunggu, {failed} gagal",
        Lang.EN: "• Announcements: {pending} waiting, {failed} failed",
    },
    "bot.status.store": {Lang.ID: "• Penyimpanan: {store}", Lang.EN: "• Store: {store}"},
    "bot.open.title": {
        Lang.ID: "⏳ SIGNAL AKTIF ({n})",
        Lang.EN: "⏳ OPEN SIGNALS ({n})",
    },
    "bot.open.none": {Lang.ID: "Tidak ada signal aktif.", Lang.EN: "No open signals."},
    "bot.open.row": {
        Lang.ID: "• {symbol} {side} {timeframe} · {age} · entry {entry}",
        Lang.EN: "• {symbol} {side} {timeframe} · {age} · entry {entry}",
    },
    "bot.open.distances": {
        Lang.ID: "  harga {price} · TP{n} {to_target} · SL {to_stop}",
        Lang.EN: "  price {price} · TP{n} {to_target} · SL {to_stop}",
    },
    "bot.open.no_price": {
        Lang.ID: "  belum ada harga (menunggu settling)",
        Lang.EN: "  no price yet (waiting for a settling pass)",
    },
    "bot.open.more": {
        Lang.ID: "… dan {n} lainnya",
        Lang.EN: "… and {n} more",
    },
    "bot.age.days": {Lang.ID: "{d} hari {h} jam", Lang.EN: "{d} d {h} h"},
    "bot.age.hours": {Lang.ID: "{h} jam {m} mnt", Lang.EN: "{h} h {m} min"},
    "bot.age.minutes": {Lang.ID: "{m} mnt", Lang.EN: "{m} min"},
    "bot.announce.tp_hit": {
        Lang.ID: "🎯 {symbol} {side} {timeframe} — TP{target} tercapai di {price}",
        Lang.EN: "🎯 {symbol} {side} {timeframe} — TP{target} reached at {price}",
    },
    "bot.announce.closed": {
        Lang.ID: "{icon} {symbol} {side} {timeframe} — {result} ({reason})",
        Lang.EN: "{icon} {symbol} {side} {timeframe} — {result} ({reason})",
    },
    "bot.announce.pnl": {
        Lang.ID: "PnL {pnl} · {r} · ditahan {held}",
        Lang.EN: "PnL {pnl} · {r} · held {held}",
    },
    "bot.announce.held": {
        Lang.ID: "⏱ {held} setelah signal",
        Lang.EN: "⏱ {held} after the signal",
    },
    "bot.announce.ambiguous": {
        Lang.ID: "⚠️ candle ambigu: TP dan SL dalam satu candle",
        Lang.EN: "⚠️ ambiguous candle: TP and SL in one candle",
    },
    "bot.panel.title": {Lang.ID: "🛠 PANEL ADMIN", Lang.EN: "🛠 ADMIN PANEL"},
    "bot.panel.tracking": {Lang.ID: "📊 Signal Tracking", Lang.EN: "📊 Signal Tracking"},
    "bot.panel.tracking_title": {
        Lang.ID: "📊 SIGNAL TRACKING — pilih:",
        Lang.EN: "📊 SIGNAL TRACKING — choose:",
    },
    "bot.panel.winrate7": {Lang.ID: "Winrate 7 hari", Lang.EN: "Winrate 7d"},
    "bot.panel.winrate30": {Lang.ID: "Winrate 30 hari", Lang.EN: "Winrate 30d"},
    "bot.panel.weekly": {Lang.ID: "Laporan mingguan", Lang.EN: "Weekly report"},
    "bot.panel.open": {Lang.ID: "Signal aktif", Lang.EN: "Open signals"},
    "bot.panel.coins": {Lang.ID: "Per koin", Lang.EN: "Breakdown by coin"},
    "bot.panel.back": {Lang.ID: "⬅️ Kembali", Lang.EN: "⬅️ Back"},
    "bot.panel.backup": {
        Lang.ID: "💾 Upload logs / Backup sekarang",
        Lang.EN: "💾 Upload logs / Backup now",
    },
    "bot.backup.title": {Lang.ID: "💾 BACKUP {backup_id}", Lang.EN: "💾 BACKUP {backup_id}"},
    "bot.backup.verified": {
        Lang.ID: "• {target}: {location} ✅ terverifikasi",
        Lang.EN: "• {target}: {location} ✅ verified",
    },
    "bot.backup.unverified": {
        Lang.ID: "• {target}: {location} ⚠️ tidak terverifikasi",
        Lang.EN: "• {target}: {location} ⚠️ not verified",
    },
    "bot.backup.failed": {Lang.ID: "• {target}: ❌ {error}", Lang.EN: "• {target}: ❌ {error}"},
    "bot.backup.none": {
        Lang.ID: "Backup tidak tersedia di bot ini.",
        Lang.EN: "Backups are not available in this bot.",
    },
    "bot.panel.more": {
        Lang.ID: "… (terpotong; kirim perintahnya untuk teks lengkap)",
        Lang.EN: "… (cut short; send the command for the whole text)",
    },
    "bot.stats.mark_best": {Lang.ID: "▲ terbaik", Lang.EN: "▲ best"},
    "bot.stats.mark_worst": {Lang.ID: "▼ terburuk", Lang.EN: "▼ worst"},
    "bot.feedback.took": {Lang.ID: "✅ Ambil", Lang.EN: "✅ Took it"},
    "bot.feedback.skipped": {Lang.ID: "⏭ Lewati", Lang.EN: "⏭ Skipped"},
    "bot.feedback.saved": {
        Lang.ID: "Tercatat: {answer}",
        Lang.EN: "Saved: {answer}",
    },
    "bot.feedback.changed": {
        Lang.ID: "Diubah: {previous} → {answer}",
        Lang.EN: "Changed: {previous} → {answer}",
    },
    "bot.feedback.answer.took": {Lang.ID: "diambil", Lang.EN: "took it"},
    "bot.feedback.answer.skipped": {Lang.ID: "dilewati", Lang.EN: "skipped"},
    "bot.feedback.unknown": {
        Lang.ID: "Signal ini tidak dikenal.",
        Lang.EN: "This signal is not known.",
    },
    "bot.feedback.title": {
        Lang.ID: "👥 FEEDBACK PENERIMA ({days} HARI)",
        Lang.EN: "👥 RECEIVERS' FEEDBACK ({days} DAYS)",
    },
    "bot.feedback.group": {
        Lang.ID: "• {label}: {n} signal — winrate {rate} ({low} – {high}), avg PnL {pnl}",
        Lang.EN: "• {label}: {n} signals — winrate {rate} ({low} – {high}), avg PnL {pnl}",
    },
    "bot.feedback.taken": {Lang.ID: "Diambil", Lang.EN: "Taken"},
    "bot.feedback.skipped_group": {Lang.ID: "Dilewati", Lang.EN: "Skipped"},
    "bot.feedback.row": {
        Lang.ID: "• {symbol} {signal_id}: {took}/{base} ambil ({share}), {skipped} lewati",
        Lang.EN: "• {symbol} {signal_id}: {took}/{base} took it ({share}), {skipped} skipped",
    },
    "bot.feedback.none": {
        Lang.ID: "Belum ada feedback pada periode ini.",
        Lang.EN: "No feedback in this period yet.",
    },
}
