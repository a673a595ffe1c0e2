/*
 * The monitor's read-eval loop: read a line from the console (polling,
 * with echo and backspace), split it into words and run the command.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/monitor.h"
#include "kernel/printf.h"
#include "kernel/string.h"

extern const struct monitor_cmd __monitor_cmds_start[], __monitor_cmds_end[];

#define LINE_MAX 128
#define ARGS_MAX 8

static void read_line(char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		int c = arch_getc();
		if (c < 0) {
			arch_cpu_relax();
			continue;
		}
		if (c == '\r' || c == '\n') {
			kprintf("\n");
			break;
		}
		if (c == 0x7f || c == '\b') {           /* backspace / delete */
			if (n > 0) {
				n--;
				kprintf("\b \b");
			}
		} else if (c >= ' ' && c < 0x7f && n + 1 < size) {
			line[n++] = (char)c;
			kprintf("%c", c);
		}
	}
	line[n] = '\0';
}

/* Split line in place at spaces; returns the number of words. */
static int split_words(char *line, char **argv, int max)
{
	int argc = 0;

	while (*line && argc < max) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		argv[argc++] = line;
		while (*line && *line != ' ')
			line++;
	}
	return argc;
}

static const struct monitor_cmd *find_command(const char *name)
{
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void monitor_execute(char *line)
{
	char *argv[ARGS_MAX];
	int argc = split_words(line, argv, ARGS_MAX);

	if (argc == 0)
		return;
	const struct monitor_cmd *cmd = find_command(argv[0]);
	if (!cmd) {
		kprintf("unknown command '%s' (try 'help')\n", argv[0]);
		return;
	}
	cmd->run(argc, argv);
}

noreturn void monitor_run(void)
{
	char line[LINE_MAX];

	kprintf("Type 'help' for a list of commands.\n");
	for (;;) {
		kprintf("duet> ");
		read_line(line, sizeof(line));
		monitor_execute(line);
	}
}

/* ---- The basic commands --------------------------------------------------- */

static void cmd_help(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	for (const struct monitor_cmd *c = __monitor_cmds_start;
	     c < __monitor_cmds_end; c++)
		kprintf("  %-10s %s\n", c->name, c->help);
}
MONITOR_COMMAND(help, "list the commands", cmd_help);

static void cmd_memmap(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	memmap_print(&boot_memmap);
}
MONITOR_COMMAND(memmap, "print the physical memory map", cmd_memmap);

static void cmd_test(int argc, char **argv)
{
	if (argc < 2) {
		kprintf("usage: test <glob>[,<glob>...]   e.g. test memmap\n"
			"       test -l <glob>             list matching tests\n");
		return;
	}
	if (strcmp(argv[1], "-l") == 0) {
		ktest_list(argc > 2 ? argv[2] : "*");
		return;
	}
	int failed = ktest_run(argv[1]);
	kprintf("%d suite(s) failed\n", failed);
}
MONITOR_COMMAND(test, "run tests: test <glob>, or test -l <glob>", cmd_test);

static void cmd_poweroff(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	kprintf("bye\n");
	arch_exit(0);
}
MONITOR_COMMAND(poweroff, "leave QEMU", cmd_poweroff);
