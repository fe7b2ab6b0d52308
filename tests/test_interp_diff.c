/* The differential mode's record and comparison (harness/interp_diff.c):
 * what is masked, what is compared, which differences are known. */
#include <stdlib.h>

#include <vmfuzz/placement.h>

#include "test.h"
#include "interp_diff.h"

static struct diff_cmd a[8], b[8];

static size_t parse(const char *t, struct diff_cmd *c)
{
	return diff_parse_trace(t, c, 8);
}

static void test_parse_masks(void)
{
	size_t n = parse("machine granule=4k policy=legacy\n"
			 "#0 vmalloc size=1p => [vmalloc_init] addr=win+0x0\n"
			 "#1 read h=0 off=0 len=16 => read=16 sum=2393b8a0/0\n"
			 "#2 access h=0 off=9p acc=r => translation/L3 "
			 "finding=lower_fit\n"
			 "#3 vmalloc size=9p => addr=fail warn=vmap_alloc_"
			 "failed,vmalloc_alloc_failure\n"
			 "#4 bad kind=vfree_double h=0 off=0 => vfree_double "
			 "ret=-22 warn=vfree_nonexistent\n"
			 "#5 vmalloc_to_page h=0 off=0 => pfn=+0x12\n",
			 a);

	CHECK_EQ(n, 6);
	CHECK_STR(a[0].res, "[vmalloc_init] addr=ok ");
	CHECK_STR(a[0].op, "vmalloc");
	CHECK_STR(a[1].res, "read=16 ");
	CHECK_STR(a[1].data, "sum=2393b8a0/0 ");
	CHECK_STR(a[2].res, "translation ");
	CHECK_STR(a[3].res, "addr=fail ");
	CHECK_STR(a[3].warn, "vmap_alloc_failed,vmalloc_alloc_failure");
	CHECK_STR(a[4].op, "bad:vfree_double");
	CHECK_STR(a[5].res, "pfn ");
	CHECK(!a[0].fault_kmalloc);
	n = parse("#0 fault site=kmalloc mode=nth n=3 =>\n"
		  "#1 fault site=kmalloc mode=off n=0 =>\n", a);
	CHECK_EQ(n, 2);
	CHECK(a[0].fault_kmalloc);
	CHECK(!a[1].fault_kmalloc);
}

static const unsigned LEG = VMF_PLACE_LOWEST_FIT |
			    VMF_PLACE_MAY_OVERFLOW_WITH_SPACE;
static const unsigned ANY = VMF_PLACE_ANY_FIT;

static int cmp(size_t na, unsigned ga, size_t nb, unsigned gb, size_t *idx,
	       const char **field, const char **known)
{
	return diff_compare(a, na, ga, b, nb, gb, idx, field, known);
}

static void test_compare(void)
{
	const char *field, *known;
	size_t idx = 99, n;
	const char *t = "#0 vmalloc size=1p => addr=win+0x0\n"
			"#1 vmalloc size=2p => addr=win+0x2000\n"
			"#2 read h=1 off=0 len=4 => read=4 sum=1/0\n";

	/* Other addresses, same outcomes: nothing to say. */
	n = parse(t, a);
	parse("#0 vmalloc size=1p => addr=win+0x8000\n"
	      "#1 vmalloc size=2p => addr=win+0x0\n"
	      "#2 read h=1 off=0 len=4 => read=4 sum=1/0\n", b);
	CHECK_EQ(cmp(n, LEG, n, ANY, &idx, &field, &known), 0);
	CHECK(known == NULL);

	/* Data read back differs: known, since every frame carries its own
	 * fill (each run's shadow judged the bytes against its frames). */
	parse("#0 vmalloc size=1p => addr=win+0x8000\n"
	      "#1 vmalloc size=2p => addr=win+0x0\n"
	      "#2 read h=1 off=0 len=4 => read=4 sum=2/0\n", b);
	CHECK_EQ(cmp(n, LEG, n, ANY, &idx, &field, &known), 0);
	CHECK_EQ(idx, 2);
	CHECK(known != NULL && strstr(known, "frame") != NULL);

	/* Page accounting. */
	parse(t, b);
	b[1].acct = 5;
	CHECK_EQ(cmp(n, LEG, n, ANY, &idx, &field, &known), 1);
	CHECK_STR(field, "pages");
	CHECK_EQ(idx, 1);
	b[1].acct = 0;

	/* A warning more. */
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vmalloc size=2p => addr=win+0x2000 warn=vmalloc_bad_arg\n",
	      b);
	CHECK_EQ(cmp(n, LEG, 2, ANY, &idx, &field, &known), 1);
	CHECK_STR(field, "warn");

	/* Overflow in the policy that may overflow with space: known. */
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vmalloc size=2p => addr=fail warn=vmap_alloc_failed\n", a);
	parse(t, b);
	CHECK_EQ(cmp(2, LEG, n, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "overflow with space"));
	CHECK_EQ(idx, 1);
	/* In one that promises to find any fitting hole, its own shadow
	 * judged the overflow (no fitting hole in its layout): what is left
	 * is that the layouts differ, a known difference too. */
	CHECK_EQ(cmp(2, ANY, n, LEG, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "fragmentation"));

	/* After kmalloc fault injection: known. */
	parse("#0 fault site=kmalloc mode=nth n=2 =>\n"
	      "#1 vmalloc size=2p => addr=fail\n", a);
	parse("#0 fault site=kmalloc mode=nth n=2 =>\n"
	      "#1 vmalloc size=2p => addr=win+0x0\n", b);
	CHECK_EQ(cmp(2, ANY, 2, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "kmalloc"));

	/* An access past an area's end, a stale address: known. */
	parse("#0 write h=0 off=1p len=8 pat=0x1 => wrote=0 "
	      "fault=translation/L3\n", a);
	parse("#0 write h=0 off=1p len=8 pat=0x1 => wrote=8\n", b);
	CHECK_EQ(cmp(1, ANY, 1, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "past an area"));
	parse("#0 read_freed h=0 off=0 len=4 => read=4 sum=1/0\n", a);
	parse("#0 read_freed h=0 off=0 len=4 => read=4 sum=0/0\n", b);
	CHECK_EQ(cmp(1, ANY, 1, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "freed handle"));
	/* The same read inside an area: its bytes are its frames' (known),
	 * but a status difference stays a report. */
	parse("#0 read h=0 off=0 len=4 => read=4 sum=1/0\n", a);
	parse("#0 read h=0 off=0 len=4 => read=4 sum=0/0\n", b);
	CHECK_EQ(cmp(1, ANY, 1, ANY, &idx, &field, &known), 0);
	CHECK(known != NULL && strstr(known, "frame") != NULL);
	parse("#0 read h=0 off=0 len=4 => read=2 sum=0/0\n", b);
	CHECK_EQ(cmp(1, ANY, 1, ANY, &idx, &field, &known), 1);
	CHECK_STR(field, "status");

	/* Page tables differ, and memory ran out in one run only. */
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vmalloc size=9p => addr=fail warn=vmalloc_alloc_failure\n",
	      a);
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vmalloc size=9p => addr=win+0x2000\n", b);
	a[0].pt = 3;
	b[0].pt = 4;
	CHECK_EQ(cmp(2, ANY, 2, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "page-table"));
	/* With equal page-table counts too: at its address the failing run
	 * needed a new table page the other did not (fuzzing found it). */
	a[0].pt = 4;
	CHECK_EQ(cmp(2, ANY, 2, ANY, &idx, &field, &known), 0);
	CHECK(known != NULL);
	/* What stays a report: a warning one run gives and the other does
	 * not (data is judged by each run's shadow, above). */
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vfree h=0 => ret=0\n", a);
	parse("#0 vmalloc size=1p => addr=win+0x0\n"
	      "#1 vfree h=0 => ret=0 warn=vfree_bad_addr\n", b);
	CHECK_EQ(cmp(2, ANY, 2, ANY, &idx, &field, &known), 1);
	CHECK_STR(field, "warn");

	/* One run stopped earlier (the page budget). */
	parse(t, a);
	parse(t, b);
	CHECK_EQ(cmp(3, ANY, 2, ANY, &idx, &field, &known), 0);
	CHECK(known && strstr(known, "budget"));
}

TEST_MAIN(TEST(test_parse_masks), TEST(test_compare))
