-- Column widths for man page tables made from the docs' pipe tables, which give every column the
-- same width: each column gets room for its longest word (up to 30 characters of a 72-character
-- line), and what is left is shared by the length of each column's longest cell (capped at 60, so
-- that the description column does not squeeze the others).
local stringify = pandoc.utils.stringify

local function measure(rows, longest, word)
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row.cells) do
      local text = stringify(cell.contents)
      longest[i] = math.max(longest[i] or 1, math.min(#text, 60))
      for piece in text:gmatch("%S+") do
        word[i] = math.max(word[i] or 1, #piece)
      end
    end
  end
end

function Table(table)
  local longest, word, weight = {}, {}, {}
  measure(table.head.rows, longest, word)
  for _, body in ipairs(table.bodies) do
    measure(body.body, longest, word)
  end
  local line, floor, total = 72, 0, 0
  for i = 1, #table.colspecs do
    weight[i] = (math.min(word[i] or 1, 30) + 2) / line
    floor = floor + weight[i]
    total = total + (longest[i] or 1)
  end
  -- Words too long for the line together are broken rather than the table made wider.
  local room = 0.95
  local shrink = math.min(1, room / floor)
  local rest = math.max(room - floor, 0)
  for i, spec in ipairs(table.colspecs) do
    table.colspecs[i] = {spec[1], weight[i] * shrink + rest * (longest[i] or 1) / total}
  end
  return table
end
