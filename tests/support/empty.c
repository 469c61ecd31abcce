/* Keeps the support library non-empty before any helper exists. */
int sgxemu_test_support_placeholder;
