/*
 * The monitor: Duet's interactive prompt on the console. Any file can add
 * a command with MONITOR_COMMAND; it lands in a linker section, so no
 * central table needs editing.
 *
 *   static void cmd_hello(int argc, char **argv) { kprintf("hi\n"); }
 *   MONITOR_COMMAND(hello, "say hi", cmd_hello);
 */
#ifndef DUET_MONITOR_H
#define DUET_MONITOR_H

#include <stdnoreturn.h>

struct monitor_cmd {
	const char *name;
	const char *help;
	void (*run)(int argc, char **argv);
};

#define MONITOR_COMMAND(cmd, help_text, fn)                                  \
	static const struct monitor_cmd monitor_cmd_##cmd                    \
	__attribute__((used, section(".monitor_cmds"), aligned(8))) = {      \
		#cmd, help_text, fn }

noreturn void monitor_run(void);

/* Run one command line, as if typed at the prompt. */
void monitor_execute(char *line);

#endif
