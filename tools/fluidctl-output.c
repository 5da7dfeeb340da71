/* fluidctl-output.c: fluidctl's tables, statuses and JSON
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "fluidctl-output.h"

#include <math.h>
#include <string.h>

/* JSON */

static void
json_append_string (GString    *out,
                    const char *string)
{
  g_string_append_c (out, '"');
  for (const char *p = string; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

/* @value as JSON: numbers, booleans, strings, arrays; dictionaries keyed
 * by strings as objects; anything else as the text GVariant prints. */
static void
json_append_variant (GString  *out,
                     GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      json_append_variant (out, inner);
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (value) ? "true" : "false");
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH) ||
           g_variant_is_of_type (value, G_VARIANT_TYPE_SIGNATURE))
    json_append_string (out, g_variant_get_string (value, NULL));
  else if (g_variant_type_is_basic (type) && !g_variant_is_of_type (value, G_VARIANT_TYPE_HANDLE))
    {
      /* The numbers: GVariant prints them as JSON does, once the type
       * annotation ("uint64 3") is left out. */
      g_autofree char *printed = g_variant_print (value, FALSE);
      g_autofree char *number = NULL;

      if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE) &&
          !isfinite (g_variant_get_double (value)))
        number = g_strdup ("null");
      else
        number = g_strdup (printed);
      g_string_append (out, number);
    }
  else if (g_variant_type_is_array (type) &&
           g_variant_type_is_dict_entry (g_variant_type_element (type)) &&
           g_variant_type_equal (g_variant_type_key (g_variant_type_element (type)),
                                 G_VARIANT_TYPE_STRING))
    {
      GVariantIter iter;
      const char *key;
      GVariant *item;
      gboolean first = TRUE;

      g_string_append_c (out, '{');
      g_variant_iter_init (&iter, value);
      while (g_variant_iter_next (&iter, "{&s@*}", &key, &item))
        {
          g_string_append (out, first ? "" : ", ");
          json_append_string (out, key);
          g_string_append (out, ": ");
          json_append_variant (out, item);
          g_variant_unref (item);
          first = FALSE;
        }
      g_string_append_c (out, '}');
    }
  else if (g_variant_type_is_array (type) || g_variant_type_is_tuple (type))
    {
      g_string_append_c (out, '[');
      for (gsize i = 0; i < g_variant_n_children (value); i++)
        {
          g_autoptr(GVariant) item = g_variant_get_child_value (value, i);

          g_string_append (out, i > 0 ? ", " : "");
          json_append_variant (out, item);
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_autofree char *printed = g_variant_print (value, FALSE);

      json_append_string (out, printed);
    }
}

static void
json_append_member (GString    *out,
                    const char *name,
                    GVariant   *value)
{
  g_string_append (out, ", ");
  json_append_string (out, name);
  g_string_append (out, ": ");
  json_append_variant (out, value);
}

/* The properties of @properties, as members, their names in snake case
 * ("QueueSize": "queue_size"). A group's Restarts are left out: each
 * child tells its own. */
static void
json_append_properties (GString  *out,
                        GVariant *properties)
{
  GVariantIter iter;
  const char *name;
  GVariant *value;

  if (properties == NULL)
    return;
  g_variant_iter_init (&iter, properties);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      g_autoptr(GString) member = g_string_new (NULL);

      if (g_str_equal (name, "Restarts"))
        {
          g_variant_unref (value);
          continue;
        }
      for (const char *p = name; *p != '\0'; p++)
        {
          if (g_ascii_isupper (*p) && p != name)
            g_string_append_c (member, '_');
          g_string_append_c (member, g_ascii_tolower (*p));
        }
      json_append_member (out, member->str, value);
      g_variant_unref (value);
    }
}

static void
json_append_node (GString      *out,
                  FluidctlNode *node,
                  gboolean      with_children)
{
  g_string_append (out, "{\"path\": ");
  json_append_string (out, node->path);
  json_append_properties (out, node->worker);
  json_append_properties (out, node->consumer);
  json_append_properties (out, node->group);
  if (node->in_group)
    g_string_append_printf (out, ", \"restarts\": %u", node->restarts);
  if (with_children && node->group != NULL)
    {
      g_string_append (out, ", \"children\": [");
      for (guint i = 0; i < node->children->len; i++)
        {
          g_string_append (out, i > 0 ? ", " : "");
          json_append_node (out, g_ptr_array_index (node->children, i), TRUE);
        }
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, '}');
}

char *
fluidctl_format_json_tree (FluidctlNode *root)
{
  GString *out = g_string_new (NULL);

  json_append_node (out, root, TRUE);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
fluidctl_format_json_status (FluidctlNode *node,
                             GVariant     *status)
{
  GString *out = g_string_new (NULL);

  json_append_node (out, node, FALSE);
  /* The node's closing brace, reopened for the status. */
  g_string_truncate (out, out->len - 1);
  if (status != NULL)
    json_append_member (out, "status", status);
  g_string_append (out, "}\n");
  return g_string_free (out, FALSE);
}

/* Values as a person reads them: numbers, strings, yes and no; a
 * dictionary as indented "key: value" lines, never GVariant text. */

/* @value without the variants boxing it. */
static GVariant *
value_unbox (GVariant *value)
{
  GVariant *inner = g_variant_ref (value);

  while (g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *boxed = g_variant_get_variant (inner);

      g_variant_unref (inner);
      inner = boxed;
    }
  return inner;
}

/* Whether @value (unboxed) is printed as lines of its own. */
static gboolean
value_is_block (GVariant *value)
{
  return g_variant_is_of_type (value, G_VARIANT_TYPE_DICTIONARY) &&
         g_variant_n_children (value) > 0;
}

/* @text, each line it begins after @indent spaces; control characters,
 * which could move a terminal's cursor, as U+FFFD. */
static void
append_text (GString    *out,
             const char *text,
             guint       indent)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n')
        g_string_append_printf (out, "\n%*s", (int) indent, "");
      else if (g_unichar_iscntrl (c) && c != '\t')
        g_string_append_unichar (out, 0xfffd);
      else
        g_string_append_unichar (out, c);
    }
}

static char *format_value (GVariant *value);

/* An array, a tuple or a dictionary entry on one line: "a, b", "key: value";
 * "-" when empty. */
static char *
format_items (GVariant *value)
{
  const char *separator = g_variant_is_of_type (value, G_VARIANT_TYPE_DICT_ENTRY) ? ": " : ", ";
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < g_variant_n_children (value); i++)
    {
      g_autoptr(GVariant) item = g_variant_get_child_value (value, i);
      g_autofree char *text = format_value (item);

      g_string_append (out, i > 0 ? separator : "");
      g_string_append (out, text);
    }
  if (out->len == 0)
    g_string_append_c (out, '-');
  return g_string_free (out, FALSE);
}

/* @value on one line; "-" for nothing. */
static char *
format_value (GVariant *value)
{
  g_autoptr(GVariant) inner = value_unbox (value);

  switch (g_variant_classify (inner))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      return g_strdup (g_variant_get_boolean (inner) ? "yes" : "no");
    case G_VARIANT_CLASS_BYTE:
      return g_strdup_printf ("%u", g_variant_get_byte (inner));
    case G_VARIANT_CLASS_INT16:
      return g_strdup_printf ("%d", g_variant_get_int16 (inner));
    case G_VARIANT_CLASS_UINT16:
      return g_strdup_printf ("%u", g_variant_get_uint16 (inner));
    case G_VARIANT_CLASS_INT32:
      return g_strdup_printf ("%" G_GINT32_FORMAT, g_variant_get_int32 (inner));
    case G_VARIANT_CLASS_UINT32:
      return g_strdup_printf ("%" G_GUINT32_FORMAT, g_variant_get_uint32 (inner));
    case G_VARIANT_CLASS_HANDLE:
      return g_strdup_printf ("%" G_GINT32_FORMAT, g_variant_get_handle (inner));
    case G_VARIANT_CLASS_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, g_variant_get_int64 (inner));
    case G_VARIANT_CLASS_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT, g_variant_get_uint64 (inner));
    case G_VARIANT_CLASS_DOUBLE:
      return g_strdup_printf ("%g", g_variant_get_double (inner));
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      return g_variant_dup_string (inner, NULL);
    default:
      /* A maybe, an array, a tuple, a dictionary entry. */
      return format_items (inner);
    }
}

typedef struct
{
  char     *key;
  GVariant *value;   /* unboxed */
} StatusEntry;

static void
status_entry_free (gpointer data)
{
  StatusEntry *entry = data;

  g_free (entry->key);
  g_variant_unref (entry->value);
  g_free (entry);
}

/* A dictionary's own values first, then the dictionaries in it (a
 * group's children), each by key. */
static int
status_entry_compare (gconstpointer a,
                      gconstpointer b)
{
  const StatusEntry *entry_a = *(const StatusEntry * const *) a;
  const StatusEntry *entry_b = *(const StatusEntry * const *) b;
  gboolean block_a = value_is_block (entry_a->value);
  gboolean block_b = value_is_block (entry_b->value);

  if (block_a != block_b)
    return block_a ? 1 : -1;
  return strcmp (entry_a->key, entry_b->key);
}

static void append_entry (GString    *out,
                          const char *key,
                          GVariant   *value,
                          guint       indent);

/* The entries of @dictionary, one a line after @indent spaces. */
static void
append_dictionary (GString  *out,
                   GVariant *dictionary,
                   guint     indent)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (status_entry_free);
  GVariantIter iter;
  GVariant *child;

  g_variant_iter_init (&iter, dictionary);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) key = g_variant_get_child_value (child, 0);
      g_autoptr(GVariant) value = g_variant_get_child_value (child, 1);
      StatusEntry *entry = g_new0 (StatusEntry, 1);

      entry->key = format_value (key);
      entry->value = value_unbox (value);
      g_ptr_array_add (entries, entry);
      g_variant_unref (child);
    }
  g_ptr_array_sort (entries, status_entry_compare);
  for (guint i = 0; i < entries->len; i++)
    {
      StatusEntry *entry = g_ptr_array_index (entries, i);

      append_entry (out, entry->key, entry->value, indent);
    }
}

/* "key: value" after @indent spaces, or "key:" and a dictionary below,
 * indented two spaces more. */
static void
append_entry (GString    *out,
              const char *key,
              GVariant   *value,
              guint       indent)
{
  g_string_append_printf (out, "%*s", (int) indent, "");
  append_text (out, key, indent);
  g_string_append_c (out, ':');
  if (value_is_block (value))
    {
      g_string_append_c (out, '\n');
      append_dictionary (out, value, indent + 2);
    }
  else
    {
      g_autofree char *text = format_value (value);

      /* An empty string: nothing after the colon. */
      if (*text != '\0')
        g_string_append_c (out, ' ');
      append_text (out, text, indent + 2);
      g_string_append_c (out, '\n');
    }
}

/* Tables */

typedef struct
{
  gboolean   unicode;
  GPtrArray *rows;     /* GStrv of FLUIDCTL_N_COLUMNS cells */
} Table;

enum
{
  COLUMN_NAME,
  COLUMN_STATE,
  COLUMN_QUEUE,
  COLUMN_PROCESSED,
  COLUMN_RESTARTS,
  COLUMN_EXIT,
  N_COLUMNS,
};

static const char * const column_titles[N_COLUMNS] = {
  "NAME", "STATE", "QUEUE", "PROCESSED", "RESTARTS", "EXIT",
};

static char *
format_property (GVariant   *properties,
                 const char *name)
{
  g_autoptr(GVariant) value = properties != NULL ? g_variant_lookup_value (properties, name, NULL)
                                                 : NULL;

  /* A negative ExitCode: none yet. */
  if (value == NULL ||
      (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32) && g_variant_get_int32 (value) < 0))
    return g_strdup ("-");
  return format_value (value);
}

/* A row for @node, its name after @lead, then its children's rows, each
 * after @prefix and its branch, drawn as a tree as systemctl draws its
 * cgroups. */
static void
table_add_node (Table        *table,
                FluidctlNode *node,
                const char   *lead,
                const char   *prefix)
{
  char **row = g_new0 (char *, N_COLUMNS + 1);

  row[COLUMN_NAME] = g_strconcat (lead, fluidctl_node_get_name (node), NULL);
  row[COLUMN_STATE] = format_property (node->worker, "State");
  row[COLUMN_QUEUE] = format_property (node->consumer, "QueueSize");
  row[COLUMN_PROCESSED] = format_property (node->consumer, "Processed");
  row[COLUMN_RESTARTS] = node->in_group ? g_strdup_printf ("%u", node->restarts) : g_strdup ("-");
  row[COLUMN_EXIT] = format_property (node->worker, "ExitCode");
  g_ptr_array_add (table->rows, row);

  for (guint i = 0; i < node->children->len; i++)
    {
      gboolean last = i + 1 == node->children->len;
      g_autofree char *child_lead = NULL;
      g_autofree char *child_prefix = NULL;

      if (table->unicode)
        {
          child_lead = g_strconcat (prefix, last ? "└─ " : "├─ ", NULL);
          child_prefix = g_strconcat (prefix, last ? "   " : "│  ", NULL);
        }
      else
        {
          child_lead = g_strconcat (prefix, last ? "`- " : "|- ", NULL);
          child_prefix = g_strconcat (prefix, last ? "   " : "|  ", NULL);
        }
      table_add_node (table, g_ptr_array_index (node->children, i), child_lead, child_prefix);
    }
}

char *
fluidctl_format_table (FluidctlNode *root,
                       gboolean      unicode)
{
  Table table = { unicode, g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev) };
  glong widths[N_COLUMNS];
  GString *out = g_string_new (NULL);

  table_add_node (&table, root, "", "");
  for (guint c = 0; c < N_COLUMNS; c++)
    {
      widths[c] = strlen (column_titles[c]);
      for (guint r = 0; r < table.rows->len; r++)
        widths[c] = MAX (widths[c], g_utf8_strlen (((char **) table.rows->pdata[r])[c], -1));
    }

  for (guint r = 0; r <= table.rows->len; r++)
    {
      const char * const *cells = r == 0 ? column_titles
                                         : (const char * const *) table.rows->pdata[r - 1];

      for (guint c = 0; c < N_COLUMNS; c++)
        {
          glong padding = widths[c] - g_utf8_strlen (cells[c], -1);

          /* Names and states to the left, numbers to the right. */
          if (c > COLUMN_STATE)
            g_string_append_printf (out, "%*s", (int) padding + 2, "");
          g_string_append (out, cells[c]);
          if (c <= COLUMN_STATE)
            g_string_append_printf (out, "%*s", (int) padding, "");
          if (c == COLUMN_NAME)
            g_string_append (out, "  ");
        }
      g_string_append_c (out, '\n');
    }
  g_ptr_array_unref (table.rows);
  return g_string_free (out, FALSE);
}

/* "Title: value", the titles right-aligned, a value of several lines
 * aligned too. */
static void
status_append_line (GString    *out,
                    const char *title,
                    const char *value)
{
  g_string_append_printf (out, "%12s: ", title);
  append_text (out, value, 14);
  g_string_append_c (out, '\n');
}

char *
fluidctl_format_status (FluidctlNode *node,
                        GVariant     *status)
{
  GString *out = g_string_new (NULL);
  g_autofree char *state = format_property (node->worker, "State");
  g_autofree char *exit_code = format_property (node->worker, "ExitCode");
  g_autofree char *reason = format_property (node->worker, "StopReason");

  g_string_append_printf (out, "%s %s\n", fluidctl_node_get_name (node), node->path);
  status_append_line (out, "State", state);
  status_append_line (out, "Exit code", exit_code);
  if (*reason != '\0')
    status_append_line (out, "Stop reason", reason);
  if (node->consumer != NULL)
    {
      g_autofree char *queue = format_property (node->consumer, "QueueSize");
      g_autofree char *processed = format_property (node->consumer, "Processed");
      g_autofree char *failed = format_property (node->consumer, "Failed");
      g_autofree char *discarded = format_property (node->consumer, "Discarded");
      g_autofree char *line = g_strdup_printf ("%s queued, %s processed, %s failed, %s discarded",
                                               queue, processed, failed, discarded);

      status_append_line (out, "Messages", line);
    }
  if (node->group != NULL)
    {
      g_autofree char *strategy = format_property (node->group, "RestartStrategy");
      g_autofree char *children = g_strdup_printf ("%u", node->children->len);

      status_append_line (out, "Strategy", strategy);
      status_append_line (out, "Children", children);
    }
  if (node->in_group)
    {
      g_autofree char *restarts = g_strdup_printf ("%u", node->restarts);

      status_append_line (out, "Restarts", restarts);
    }
  /* Below its title, as "key: value" lines. */
  if (status != NULL)
    append_entry (out, "Status", status, 6);
  return g_string_free (out, FALSE);
}

/* Jobs */

char *
fluidctl_format_jobs (FluidctlNode *node,
                      GVariant     *jobs)
{
  GString *out = g_string_new (NULL);
  GVariantIter iter;
  const char *state, *text;
  guint64 id;
  double progress;
  gint32 priority;

  if (g_variant_n_children (jobs) == 0)
    {
      g_string_append_printf (out, "%s: no job queued or running\n", fluidctl_node_get_name (node));
      return g_string_free (out, FALSE);
    }
  g_string_append_printf (out, "%-8s %-9s %8s %9s  %s\n", "ID", "STATE", "PROGRESS", "PRIORITY", "DOING");
  g_variant_iter_init (&iter, jobs);
  while (g_variant_iter_next (&iter, "(t&sd&si)", &id, &state, &progress, &text, &priority))
    {
      g_autofree char *percent = progress < 0 ? g_strdup ("?") : g_strdup_printf ("%.0f%%", 100 * progress);

      g_string_append_printf (out, "%-8" G_GUINT64_FORMAT " %-9s %8s %9d", id, state, percent, priority);
      if (*text != '\0')
        g_string_append_printf (out, "  %s", text);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

char *
fluidctl_format_json_jobs (FluidctlNode *node,
                           GVariant     *jobs)
{
  GString *out = g_string_new ("[");
  GVariantIter iter;
  const char *state, *text;
  guint64 id;
  double progress;
  gint32 priority;
  gboolean first = TRUE;

  g_variant_iter_init (&iter, jobs);
  while (g_variant_iter_next (&iter, "(t&sd&si)", &id, &state, &progress, &text, &priority))
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (out, "%s{\"id\": %" G_GUINT64_FORMAT ", \"state\": ", first ? "" : ", ", id);
      json_append_string (out, state);
      g_string_append_printf (out, ", \"progress\": %s, \"text\": ",
                              g_ascii_dtostr (number, sizeof number, progress));
      json_append_string (out, text);
      g_string_append_printf (out, ", \"priority\": %d}", priority);
      first = FALSE;
    }
  g_string_append (out, "]\n");
  return g_string_free (out, FALSE);
}
