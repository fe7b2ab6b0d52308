/* ASan defaults for the fuzz targets (included once by each fuzz_<t>.c;
 * the ASAN_OPTIONS environment variable still overrides them).
 *
 * quarantine_size_mb=64 (ASan's default is 256): every input starts from
 * a reset machine, so a use-after-free can only involve objects of the
 * input being run, and 64 MiB of freed chunks is the history of thousands
 * of inputs. With 256 MiB the quarantine alone took the main target to
 * 507 MiB peak RSS in 30 s of fuzzing; with 64, 189 MiB. */
#ifndef VMFUZZ_FUZZ_ASAN_OPTIONS_H
#define VMFUZZ_FUZZ_ASAN_OPTIONS_H

const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=64";
}

#endif
