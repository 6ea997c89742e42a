/*
 * main.c: the kindred command — dispatch and help.  Each command's
 * usage lives in its table row so `kindred help COMMAND` and the error
 * for a wrong call say the same thing.
 */
#include "cli/cli.h"

#include "kd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;
} command;

static const command commands[] = {
	{"serve", cmd_serve, "run the web server",
	 "usage: kindred serve [--port N] [--bind ADDR] [--data-dir DIR] [--database LOCATION]\n"
	 "                     [--config FILE]\n"
	 "\n"
	 "Serves kindred over HTTP until stopped with Ctrl-C (SIGINT) or SIGTERM.\n"
	 "  --port N          port to listen on (default 8080; 0 picks a free one)\n"
	 "  --bind ADDR       address to listen on (default 127.0.0.1)\n"
	 "  --data-dir DIR    where the database and master key live (default ./var)\n"
	 "  --database LOC    a database path or sqlite:PATH (default DIR/kindred.db)\n"
	 "  --config FILE     read settings from FILE (key = value lines; see README)\n"
	 "Flags are applied in order, so a flag after --config overrides the file.\n"},
	{"user", cmd_user, "add or list accounts",
	 "usage: kindred user add USERNAME --role ROLE [--name NAME] [--data-dir DIR]\n"
	 "       kindred user list [--data-dir DIR]\n"
	 "\n"
	 "ROLE is client, clinician, supporter or admin.  The password is read\n"
	 "from standard input (one line), so it does not appear in the process list.\n"},
	{"analyze", cmd_analyze, "read how texts listen, and whether someone may be at risk",
	 "usage: kindred analyze --jsonl < in.jsonl > out.jsonl\n"
	 "       kindred analyze TRANSCRIPT\n"
	 "       kindred analyze --version   (how each reading is made: model or rules)\n"
	 "\n"
	 "Reads JSON Lines on standard input, each {\"id\", \"speaker\": \"helper\"|\"client\",\n"
	 "\"text\", \"context\": [{\"speaker\", \"text\"}, ...]} (context: the preceding turns,\n"
	 "oldest first, optional), and writes one line per input, in order, with the\n"
	 "readings mi, empathy, strategy, risk, stigma and compassion, each with its\n"
	 "evidence.  A malformed line yields {\"id\", \"error\"} and the stream goes on.\n"
	 "\n"
	 "With a TRANSCRIPT file (T:/C: lines, or WebVTT with <v Speaker> tags), prints\n"
	 "a report: each turn's readings, the helper's MI behaviour counts, reflection\n"
	 "to question ratio, % open questions, % complex reflections, empathy and\n"
	 "compassion means, and the client's turns flagged for risk.\n"},
	{"lint", cmd_lint, "flag stigmatising language in notes, like a compiler",
	 "usage: kindred lint [--json] FILE...\n"
	 "\n"
	 "Prints FILE:LINE:COL: message for each stigmatising term, with a person-first\n"
	 "or neutral alternative and the reason.  Exit 0 when clean, 1 when something\n"
	 "was found, 2 on a usage error.\n"},
	{"train", cmd_train, "train a learned model of the engine on a labelled corpus",
	 "usage: kindred train --task mi|empathy|strategy --data DIR --out FILE\n"
	 "                     [--epochs N] [--lr X] [--l2 X] [--balance X] [--seed N]\n"
	 "\n"
	 "Trains the task's linear model on the train split of DIR and writes it to\n"
	 "FILE (copy it to data/models/TASK.bin and rebuild to embed it).  DIR is\n"
	 "../shared/data (or its annomi/, epitome/, esconv/ folder), or your own\n"
	 "corpus: DIR/train.jsonl (and DIR/dev.jsonl, to be measured on) or a .jsonl\n"
	 "file, one {\"text\", \"label\", \"speaker\", \"context\"} per line; the labels\n"
	 "per task are in docs/models.md.  Prints dev macro-F1 per head when there is\n"
	 "a dev split.\n"
	 "  --epochs N   passes over the data (6)      --lr X       AdaGrad step (0.03)\n"
	 "  --l2 X       L2 penalty (1e-6)            --balance X  class weighting (1)\n"
	 "  --average N  runs averaged (5)            --seed N     first seed (1)\n"},
	{"eval", cmd_eval, "measure the engine on the corpora's dev splits",
	 "usage: kindred eval [--data DIR] [--task mi|empathy|strategy] [--rules]\n"
	 "\n"
	 "Runs the engine over the dev splits in DIR (default ../shared/data) and\n"
	 "prints per-label precision, recall and F1 and macro-F1 per task (AnnoMI\n"
	 "behaviour, open/closed, simple/complex; EPITOME ER, IP, EX; ESConv\n"
	 "strategy).  --rules measures the engine without its learned models.\n"
	 "Exits 1 when DIR is missing.\n"},
	{"backup", cmd_backup, "copy the data, or the key store, consistently while kindred runs",
	 "usage: kindred backup FILE [--keys] [--data-dir DIR] [--database LOCATION]\n"
	 "\n"
	 "Writes a consistent copy of the SQLite database to FILE (a new file, mode\n"
	 "0600) while kindred keeps serving.  It holds no data keys: they live in the\n"
	 "key store (DIR/kindred-keys.db), so a person deleted after the backup stays\n"
	 "unreadable when it is restored.  With --keys, FILE is a copy of the key store\n"
	 "instead: keep it apart from the data backups, for as short a time as you\n"
	 "must (a key backup brings deleted people back with any data backup).  The\n"
	 "master key is in neither: back up DIR/master.key separately.  To restore,\n"
	 "stop kindred and put the copy in place of DIR/kindred.db (removing\n"
	 "kindred.db-wal and kindred.db-shm); keep the current key store.  On\n"
	 "PostgreSQL use pg_dump --exclude-schema=kindred_keys (docs/DEPLOYMENT.md).\n"},
	{"rekey", cmd_rekey, "rotate the master key while kindred keeps serving",
	 "usage: kindred rekey [--stage] [--batch N] [--data-dir DIR] [--database LOCATION]\n"
	 "       kindred rekey --retire [--data-dir DIR] [--database LOCATION]\n"
	 "       kindred rekey --new-key\n"
	 "\n"
	 "Puts a fresh master key in front of the old one in DIR/master.key, then\n"
	 "wraps every person's data key again under it, N people (default 200) per\n"
	 "transaction, while servers keep serving: they read the key file again on\n"
	 "their own when they meet the new key.  Sealed text is not rewritten.  Run\n"
	 "it again to finish a rotation that stopped.  With several servers, --stage\n"
	 "only writes the new key file: copy it to every server, then run rekey.\n"
	 "--retire then removes the old key from the file, once every data key is\n"
	 "under the new one; a server started with only the old key afterwards\n"
	 "refuses to start (exit 3).\n"
	 "With KINDRED_MASTER_KEY: make a key with --new-key, set\n"
	 "KINDRED_MASTER_KEY=NEW,OLD on every server (a restart each) and for this\n"
	 "command, run kindred rekey, then set it to NEW alone; --retire checks that\n"
	 "no data key needs OLD.  Exits 1 if a data key opens under no key held.\n"},
	{"migrate", cmd_migrate, "copy a clinic's data to another database, and prove it",
	 "usage: kindred migrate --from LOCATION --to LOCATION [--force]\n"
	 "\n"
	 "Copies every table (accounts, sessions, invitations, caseloads, check-ins,\n"
	 "journal, safety plans, choices, risk events, audit trail, throttle, and\n"
	 "the key store's wrapped data keys) from the source to the target, e.g.\n"
	 "--from sqlite:var/kindred.db\n"
	 "--to postgresql://kindred@db.example/kindred, in one transaction on the\n"
	 "target: rows keep their ids, identity sequences continue after them.  Then\n"
	 "it prints each table's row count and checksum from both sides and commits\n"
	 "only if all are the same.  Stop kindred on the source first.\n"
	 "  --force   the target may hold data: it is deleted first (same transaction)\n"
	 "Without --force a target that holds any row is refused.  Both databases are\n"
	 "first brought to this kindred's schema version.  Sealed text is copied as\n"
	 "it is: servers on the target need the same master key as before.\n"
	 "Exit 0 copied and verified; 1 refused, failed or different (nothing\n"
	 "committed); 2 usage error; 3 a location that is not valid.\n"},
	{"score", cmd_score, "score a questionnaire (PHQ-9, GAD-7, WHO-5, ...)",
	 "usage: kindred score [--json] INSTRUMENT ANSWERS\n"
	 "       kindred score [--json] --file DEFINITION.json ANSWERS\n"
	 "       kindred score --list\n"
	 "\n"
	 "Scores ANSWERS, comma-separated in item order (e.g. kindred score phq9\n"
	 "1,0,2,1,0,0,1,0,0), and prints the total, subscale scores, the band with\n"
	 "the authors' label and any item alerts.  Items that the instrument's skip\n"
	 "logic leaves out may be left empty (kindred score auditc 0,,).\n"
	 "  --json     print {\"instrument\", \"total\", \"subscales\", \"band\", \"alerts\"}\n"
	 "  --list     name the instruments: id, name and number of items\n"
	 "  --file F   score with the definition in F instead of a built-in one\n"
	 "Wrong or missing answers exit 2 with a message naming the item.\n"},
	/* Hidden (no summary): for the test suite, not listed in --help. */
	{"routes", cmd_routes, NULL,
	 "usage: kindred routes\n"
	 "\n"
	 "Prints the route table as a JSON array of {\"method\", \"pattern\", \"html\",\n"
	 "\"api\", \"public\"} (api: also served under /api/v1).\n"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "kindred %s: compassionate mental-health care\n\n"
		   "usage: kindred COMMAND [OPTIONS]\n\ncommands:\n",
		KINDRED_VERSION);
	for (i = 0; i < KD_ARRAY_LEN(commands); i++)
		if (commands[i].summary)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "explain a command: kindred help COMMAND");
	fprintf(f, "\nexit codes: 0 success, 1 failure, 2 usage error, 3 configuration or data "
		   "directory problem\n");
}

static const command *find(const char *name)
{
	size_t i;

	for (i = 0; i < KD_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const command *c;

	/* A file-size limit (ulimit -f) reached is then a write that fails
	 * with EFBIG, answered like a full disk, not a process killed in the
	 * middle of a request or a backup. */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kindred %s\n", KINDRED_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CLI_OK;
		}
		if (!(c = find(argv[2]))) {
			fprintf(stderr, "kindred: no command '%s'\n", argv[2]);
			return CLI_USAGE;
		}
		fputs(c->usage, stdout);
		return CLI_OK;
	}
	if (!(c = find(argv[1]))) {
		fprintf(stderr, "kindred: no command '%s' (see kindred --help)\n", argv[1]);
		return CLI_USAGE;
	}
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(c->usage, stdout);
		return CLI_OK;
	}
	return c->fn(argc - 1, argv + 1);
}
