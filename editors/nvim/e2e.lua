-- End-to-end check of `policy lsp` in a real Neovim (0.7 APIs only), run
-- headless by crates/cli/tests/nvim.rs:
--   POLICY_BIN=…/policy POLICY_FILE=…/x.policy POLICY_E2E_OUT=out.txt \
--     nvim --headless --clean -c 'luafile editors/nvim/e2e.lua'
-- Opens the policy, waits for the (empty) diagnostics, introduces a typo,
-- waits for the diagnostic, hovers a rule and shows the hover in a floating
-- window; writes what the editor shows (diagnostic lines, the float's lines)
-- to POLICY_E2E_OUT. Exits 0 when every step happened, 1 otherwise.
local bin = os.getenv('POLICY_BIN')
local file = os.getenv('POLICY_FILE')
local out = os.getenv('POLICY_E2E_OUT')
local transcript = {}
local function log(s)
  for line in (s .. '\n'):gmatch('(.-)\n') do
    table.insert(transcript, line)
  end
end
local function finish(ok, why)
  if not ok then
    log('FAILED: ' .. why)
  end
  vim.fn.writefile(transcript, out)
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
vim.bo[buf].filetype = 'policy'
local root = vim.fn.fnamemodify(file, ':p:h:h')
local published = 0
local client_id = vim.lsp.start_client({
  name = 'policy',
  cmd = { bin, 'lsp' },
  root_dir = root,
  handlers = {
    ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
      published = published + 1
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
    end,
  },
})
if not client_id then
  return finish(false, 'the client did not start')
end
vim.lsp.buf_attach_client(buf, client_id)

if not vim.wait(30000, function() return published > 0 end, 20) then
  return finish(false, 'no diagnostics after opening')
end
log('opened ' .. vim.fn.fnamemodify(file, ':t') .. ': ' .. #vim.diagnostic.get(buf) .. ' diagnostics')

-- Introduce an error: misspell a name in a rule.
local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local target
for i, l in ipairs(lines) do
  if l:find('let insured_route: bool = insured_locally', 1, true) then
    target = i
  end
end
if not target then
  return finish(false, 'the line to edit was not found')
end
local edited = lines[target]:gsub('insured_locally', 'insured_localy')
vim.api.nvim_buf_set_lines(buf, target - 1, target, false, { edited })
log('edited line ' .. target .. ': ' .. edited)
if not vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 20) then
  return finish(false, 'no diagnostic after the edit')
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  log(string.format('diagnostic %d:%d %s [%s] %s', d.lnum + 1, d.col + 1, vim.diagnostic.severity[d.severity], d.code or '', d.message))
end

-- Hover a rule: the condition `training_certificate` of the benefit.
lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
local rule
for i, l in ipairs(lines) do
  local s = l:find('require training_certificate', 1, true)
  if s then
    rule = { i, s + #'require ' }
  end
end
if not rule then
  return finish(false, 'the rule to hover was not found')
end
vim.api.nvim_win_set_cursor(0, { rule[1], rule[2] })
local params = vim.lsp.util.make_position_params()
local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 30000)
local hover
for _, r in pairs(res or {}) do
  if r.result and r.result.contents then
    hover = r.result.contents
  end
end
if not hover then
  return finish(false, 'no hover')
end
local md = vim.lsp.util.convert_input_to_markdown_lines(hover)
md = vim.lsp.util.trim_empty_lines(md)
local fbuf, _ = vim.lsp.util.open_floating_preview(md, 'markdown', { max_width = 100 })
log('hover at ' .. rule[1] .. ':' .. rule[2] .. ' (floating window):')
for _, l in ipairs(vim.api.nvim_buf_get_lines(fbuf, 0, -1, false)) do
  log('  | ' .. l)
end
local quoted = false
for _, l in ipairs(vim.api.nvim_buf_get_lines(fbuf, 0, -1, false)) do
  if l:find('且取得培训合格证书', 1, true) then
    quoted = true
  end
end
if not quoted then
  return finish(false, 'the hover does not show the quoted sentence')
end
vim.lsp.stop_client(client_id)
finish(true, '')
