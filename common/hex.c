/* SPDX-License-Identifier: Apache-2.0 */
/* Lowercase hexadecimal encoding (hex.h). */
#include "hex.h"

size_t hex_encode(const void *buf, size_t n, char *ret, size_t ret_len)
{
        static const char digits[] = "0123456789abcdef";
        const unsigned char *b = buf;
        size_t i;

        if (ret_len == 0)
                return 0;
        for (i = 0; i < n && 2 * i + 2 < ret_len; i++) {
                ret[2 * i] = digits[b[i] >> 4];
                ret[2 * i + 1] = digits[b[i] & 0xf];
        }
        ret[2 * i] = '\0';
        return 2 * i;
}

bool hex_is_lower(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}
