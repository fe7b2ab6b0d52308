/* Canary for tests/no_globals.sh: mutable state the check must report
 * (ctest no_global_state_bites expects it to fail on this archive). */
int state_canary_counter;
int state_canary_bump(void);
int state_canary_bump(void)
{
	static int calls;
	return ++state_canary_counter + ++calls;
}
