import sys, re
src = open('/work/main/lib/rbtree.c').read()
muts = {
 'ins_case3_colour': ("		parent->colour = RB_BLACK;\n		gparent->colour = RB_RED;\n		return;", "		gparent->colour = RB_RED;\n		return;"),
 'ins_case1_uncle': ("			uncle->colour = RB_BLACK;\n", ""),
 'ins_case2_noparent': ("			parent = node;\n", ""),
 'erase_case4_colour': ("		sibling->colour = parent->colour;", "		sibling->colour = RB_BLACK;"),
 'erase_case1_colour': ("			parent->colour = RB_RED;\n			sibling = *rb_child", "			sibling = *rb_child"),
 'erase_case3_far': ("			far = sibling;\n", ""),
 'erase_case2_redparent': ("				parent->colour = RB_BLACK;\n				return;", "				return;"),
 'erase_child_black': ("			child->colour = RB_BLACK;\n		} else if", "		} else if"),
 'erase_succ_colour': ("		successor->colour = node->colour;\n", ""),
 'aug_no_mid_propagate': ("			rb_aug_propagate(augment, parent, successor);", "			;"),
 'aug_no_copy': ("		rb_aug_copy(augment, node, successor);", ""),
 'aug_no_rotate': ("	rb_aug_rotate(augment, node, up);", ""),
 'aug_no_leaf_propagate': ("			rb_aug_propagate(augment, parent, NULL);", "			;"),
 'next_climb': ("	while ((parent = node->parent) && node == parent->right)", "	while ((parent = node->parent) && node == parent->left)"),
 'prev_sub': ("		while (prev->right)\n			prev = prev->right;", "		while (prev->left)\n			prev = prev->left;"),
 'last': ("	while (node->right)\n		node = node->right;\n	return node;\n}\n\nstruct rb_node *rb_next", "	return node;\n}\n\nstruct rb_node *rb_next"),
 'replace_children': ("	if (victim->right)\n		victim->right->parent = new_;", ""),
 'check_no_redred': ("			else if (node->parent &&\n				 node->parent->colour == RB_RED)", "			else if (0)"),
 'check_no_bh': ("		} else if (blacks != leaf_blacks) {", "		} else if (0) {"),
 'check_no_parent': ("		if (next->parent != node)", "		if (0)"),
 'check_no_order': ("			if (cmp && prev && cmp(prev, node) >= 0)", "			if (0)"),
 'check_no_rootcolour': ("	if (node->colour != RB_BLACK)\n		return rb_fail(why, why_len, \"root is not black", "	if (0)\n		return rb_fail(why, why_len, \"root is not black"),
}
name = sys.argv[1]
if name == 'list':
    print(' '.join(muts)); sys.exit(0)
a, b = muts[name]
assert src.count(a) == 1, (name, src.count(a))
open(sys.argv[2], 'w').write(src.replace(a, b))
